using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>The buffers of a backward call: y (the forward output), dy in, dx out, row by row.</summary>
internal readonly unsafe struct BackwardArgs<T>(T* y, T* dy, T* dx, int rows, int rowLength)
    where T : unmanaged
{
    public readonly T* Y = y;
    public readonly T* Dy = dy;
    public readonly T* Dx = dx;
    public readonly int Rows = rows;
    public readonly int RowLength = rowLength;
}

/// <summary>One row of a backward pass, generic over the register width.</summary>
internal interface IBackwardRow<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract void Row<TS, TVec>(ref T y, ref T dy, ref T dx, nuint n)
        where TS : ISimd<TVec, T>
        where TVec : struct;
}

/// <summary>Applies one backward row kernel to every row of a call.</summary>
internal readonly struct EachBackwardRow<TRow, T> : IWidthKernel<BackwardArgs<T>, T>
    where TRow : IBackwardRow<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // Its own method per width, so the passes inline into it with the JIT's full budget. Fully
    // optimized from its first call, as EachRow.Rows: at tier 0 nothing inlines, and a console loop of
    // softmax's backward over 4 rows of 32,064 ran calls 11-400 at 150-180 µs each against 14-15 µs
    // with tiered compilation off.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run<TS, TVec>(in BackwardArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        for (int r = 0; r < args.Rows; r++)
        {
            nint offset = (nint)r * args.RowLength;
            TRow.Row<TS, TVec>(ref *(args.Y + offset), ref *(args.Dy + offset), ref *(args.Dx + offset), (nuint)args.RowLength);
        }
    }
}

/// <summary>dx = y ⊙ (dy − ⟨dy, y⟩) per row, for y = softmax(x).</summary>
internal readonly struct SoftmaxBackward<T> : IBackwardRow<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T y, ref T dy, ref T dx, nuint n)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        T dot = RowPasses.SumOfProducts<TS, TVec, T>(ref y, ref dy, n, multiply: true);
        RowPasses.MultiplyDifference<TS, TVec, T>(ref y, ref dy, ref dx, n, dot);
    }
}

/// <summary>dx = dy − exp(y) · Σ dy per row, for y = log-softmax(x).</summary>
internal readonly struct LogSoftmaxBackward<T> : IBackwardRow<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T y, ref T dy, ref T dx, nuint n)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        T sum = RowPasses.SumOfProducts<TS, TVec, T>(ref dy, ref dy, n, multiply: false);
        RowPasses.SubtractExpTimes<TS, TVec, T>(ref y, ref dy, ref dx, n, sum);
    }
}

/// <summary>The largest element of a span (NaN-tolerant as <see cref="ISimd{TVec,T}.Max"/>), written to *Result.</summary>
internal readonly unsafe struct MaxArgs<T>(T* x, int length, T* result)
    where T : unmanaged
{
    public readonly T* X = x;
    public readonly int Length = length;
    public readonly T* Result = result;
}

internal readonly struct MaxOfAll<T> : IWidthKernel<MaxArgs<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // Its own method per width: the passes inline into it with the JIT's full budget; fully optimized
    // from its first call, as EachBackwardRow.Run.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run<TS, TVec>(in MaxArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct =>
        *args.Result = RowPasses.Max<TS, TVec, T>(ref *args.X, (nuint)args.Length);
}
