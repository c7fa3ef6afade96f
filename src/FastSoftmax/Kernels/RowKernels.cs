using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>One row's operation, generic over the register width it runs on.</summary>
internal interface IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Elements written per row: the row length, or 1 for a reduction.</summary>
    static abstract int OutputsPerRow(int rowLength);

    static abstract void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct;
}

/// <summary>softmax(scale·x) = exp(scale·(x − max)) / Σ exp(scale·(x − max)).</summary>
internal readonly struct SoftmaxRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => rowLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            SpecialRows.Softmax(ref x, ref destination, n);
            return;
        }

        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref destination, n, max, scale, store: true, exact: false);
        RowPasses.Scale<TS, TVec, T>(ref destination, n, T.CreateTruncating(1.0 / (hi + lo)));
    }
}

/// <summary>log-softmax(scale·x) = scale·(x − max) − log Σ exp(scale·(x − max)).</summary>
internal readonly struct LogSoftmaxRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => rowLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            SpecialRows.LogSoftmax(ref x, ref destination, n);
            return;
        }

        // The sum pass stores nothing: destination may be x, which the last pass reads again.
        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref x, n, max, scale, store: false, exact: true);
        (T logHi, T logLo) = LogOfSum.Split<T>(hi, lo);
        RowPasses.SubtractMaxAndLogSum<TS, TVec, T>(ref x, ref destination, n, max, scale, logHi, logLo);
    }
}

/// <summary>log Σ exp(scale·x) = scale·max + log Σ exp(scale·(x − max)), one value per row.</summary>
internal readonly struct LogSumExpRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            destination = SpecialRows.LogSumExp(ref x, n);
            return;
        }

        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref x, n, max, scale, store: false, exact: true);
        destination = LogOfSum.AddScaledMax(hi, lo, max, scale);
    }
}

/// <summary>log of the double-double sum the exp pass returns, in the precision each caller needs.</summary>
internal static class LogOfSum
{
    /// <summary>log(hi + lo) as T-precision hi + lo: log(hi) + lo/hi (hi ≥ 1, |lo| ≪ ulp(hi)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Hi, T Lo) Split<T>(double hi, double lo)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double a = Math.Log(hi), b = lo / hi;
        T logHi = T.CreateTruncating(a + b);
        return (logHi, T.CreateTruncating((a - double.CreateTruncating(logHi)) + b));
    }

    /// <summary>scale·max + log(hi + lo), rounded once to T where float; with the product's error kept where double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T AddScaledMax<T>(double hi, double lo, T max, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double m = double.CreateTruncating(max), s = double.CreateTruncating(scale);
        double product = s * m;
        // For float the product of two floats is exact in double; for double its error is carried.
        double productError = ExactArithmetic.ProductError<SimdScalar<double>, double, double>(s, m, product);
        if (!double.IsFinite(productError))
        {
            productError = 0; // Dekker's split overflows near double.MaxValue, where the error is far below an ulp anyway.
        }

        double a = Math.Log(hi), b = lo / hi;
        return T.CreateTruncating((product + a) + (productError + b));
    }
}
