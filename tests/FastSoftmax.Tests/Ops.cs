using System;
using System.Linq;
using System.Numerics;
using FastSoftmax.Kernels;

namespace FastSoftmax.Tests;

public enum Op
{
    Softmax,
    LogSoftmax,
    LogSumExp,
}

/// <summary>The three forward operations behind one call, with the widest width they may use.</summary>
internal static class Ops
{
    /// <summary>Every operation, as theory data.</summary>
    public static System.Collections.Generic.IEnumerable<object[]> All => Enum.GetValues<Op>().Select(op => new object[] { op });

    public static void Rows<T>(Op op, ReadOnlySpan<T> x, Span<T> destination, int rowLength, T scale, KernelWidth limit)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (op)
        {
            case Op.Softmax:
                Entry.Rows<SoftmaxRow<T>, T>(x, destination, rowLength, scale, limit);
                break;
            case Op.LogSoftmax:
                Entry.Rows<LogSoftmaxRow<T>, T>(x, destination, rowLength, scale, limit);
                break;
            default:
                Entry.Rows<LogSumExpRow<T>, T>(x, destination, rowLength, scale, limit);
                break;
        }
    }

    public static int OutputsPerRow(Op op, int rowLength) => op == Op.LogSumExp ? 1 : rowLength;

    /// <summary>
    /// The blocked sweeps of long float rows (<see cref="BlockedSoftmax"/>) at one width, at any block
    /// length; log-sum-exp writes its one value to destination[0].
    /// </summary>
    public static void Blocked(Op op, KernelWidth width, ReadOnlySpan<float> x, Span<float> destination, float scale, nuint blockLength, nuint minStreamingLength)
    {
        ref float input = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float output = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        nuint n = (nuint)x.Length;
        switch (width)
        {
            case KernelWidth.Vector512:
                Blocked<Simd512<float>, System.Runtime.Intrinsics.Vector512<float>>(op, ref input, ref output, n, scale, blockLength, minStreamingLength);
                break;
            case KernelWidth.Vector256:
                Blocked<Simd256<float>, System.Runtime.Intrinsics.Vector256<float>>(op, ref input, ref output, n, scale, blockLength, minStreamingLength);
                break;
            case KernelWidth.Vector128:
                Blocked<Simd128<float>, System.Runtime.Intrinsics.Vector128<float>>(op, ref input, ref output, n, scale, blockLength, minStreamingLength);
                break;
            default:
                Blocked<SimdScalar<float>, float>(op, ref input, ref output, n, scale, blockLength, minStreamingLength);
                break;
        }
    }

    private static void Blocked<TS, TVec>(Op op, ref float x, ref float destination, nuint n, float scale, nuint blockLength, nuint minStreamingLength)
        where TS : ISimd<TVec, float>
        where TVec : struct
    {
        switch (op)
        {
            case Op.Softmax:
                BlockedSoftmax.Run<TS, TVec, float>(ref x, ref destination, n, scale, blockLength, minStreamingLength);
                break;
            case Op.LogSoftmax:
                BlockedSoftmax.LogSoftmax<TS, TVec, float>(ref x, ref destination, n, scale, blockLength);
                break;
            default:
                destination = BlockedSoftmax.LogSumExp<TS, TVec, float>(ref x, n, scale, blockLength);
                break;
        }
    }

    /// <summary>The public API's answer for one row, through the float or double overloads.</summary>
    public static T[] Public<T>(Op op, T[] x, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var y = new T[OutputsPerRow(op, x.Length)];
        bool unscaled = scale == T.One;
        if (typeof(T) == typeof(float))
        {
            float[] xf = (float[])(object)x, yf = (float[])(object)y;
            float s = float.CreateTruncating(scale);
            switch (op)
            {
                case Op.Softmax when unscaled: Softmax.Forward(xf, yf); break;
                case Op.Softmax: Softmax.Forward(xf, yf, xf.Length, s); break;
                case Op.LogSoftmax when unscaled: LogSoftmax.Forward(xf, yf); break;
                case Op.LogSoftmax: LogSoftmax.Forward(xf, yf, xf.Length, s); break;
                case Op.LogSumExp when unscaled: yf[0] = LogSumExp.Compute(xf); break;
                default: LogSumExp.Compute(xf, yf, xf.Length, s); break;
            }
        }
        else
        {
            double[] xd = (double[])(object)x, yd = (double[])(object)y;
            double s = double.CreateTruncating(scale);
            switch (op)
            {
                case Op.Softmax when unscaled: Softmax.Forward(xd, yd); break;
                case Op.Softmax: Softmax.Forward(xd, yd, xd.Length, s); break;
                case Op.LogSoftmax when unscaled: LogSoftmax.Forward(xd, yd); break;
                case Op.LogSoftmax: LogSoftmax.Forward(xd, yd, xd.Length, s); break;
                case Op.LogSumExp when unscaled: yd[0] = LogSumExp.Compute(xd); break;
                default: LogSumExp.Compute(xd, yd, xd.Length, s); break;
            }
        }

        return y;
    }
}
