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

    /// <summary>One row of n ≥ <c>TS.Count</c> elements; <paramref name="nextRow"/>, where not 0, is how far ahead the next row of x starts (to prefetch it).</summary>
    static abstract void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale, nuint nextRow)
        where TS : ISimd<TVec, T>
        where TVec : struct;

    /// <summary>
    /// The same for a row of n ≤ <c>TS.Count</c> elements held in one register: the lanes outside
    /// <paramref name="mask"/> (the first n) are neither read nor written.
    /// </summary>
    static abstract void ShortRow<TS, TVec>(ref T x, ref T destination, int n, TVec mask, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct;

    /// <summary>
    /// Rows of at most one register done several at a time, from the first; returns how many (none
    /// unless the kernel has such a path). The caller runs <see cref="ShortRow"/> on the rest.
    /// </summary>
    static virtual unsafe int ShortRowBlocks<TVec>(in ForwardArgs<T> args)
        where TVec : struct => 0;

    /// <summary>True where <see cref="TwoRegisterRow"/> takes the rows of one to two registers that would go to <see cref="Row"/>.</summary>
    static virtual bool HasTwoRegisterRow => false;

    /// <summary>
    /// A row of <c>TS.Count</c> ≤ n ≤ 2·<c>TS.Count</c> elements held in two registers, without the
    /// passes' loops; called only where <see cref="HasTwoRegisterRow"/>.
    /// </summary>
    static virtual void TwoRegisterRow<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct => throw new NotSupportedException();
}

/// <summary>softmax(scale·x) = exp(scale·(x − max)) / Σ exp(scale·(x − max)).</summary>
internal readonly struct SoftmaxRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => rowLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale, nuint nextRow)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (BlockedSoftmax.Takes<T>(n))
        {
            BlockedSoftmax.Run<TS, TVec, T>(ref x, ref destination, n, scale);
            return;
        }

        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            SpecialRows.Softmax(ref x, ref destination, n);
            return;
        }

        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref destination, n, max, scale, store: true, exact: false, nextRow);
        RowPasses.Scale<TS, TVec, T>(ref destination, n, T.CreateTruncating(1.0 / (hi + lo)));
    }

    /// <summary>Float rows: the reciprocal of a sum in double has the digits to spare for them (double rows keep the passes' exact sums).</summary>
    public static bool HasTwoRegisterRow => typeof(T) == typeof(float);

    /// <summary>
    /// The row's first register and its last (over the first where n &lt; 2·Count): their max, their
    /// exps, the sum of both registers' lanes in double with the last one's lanes over the first left
    /// out, the scale, the last register stored before the first (in place, both were loaded first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TwoRegisterRow<TS, TVec>(ref T x, ref T destination, nuint n, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        nuint c = (nuint)TS.Count, lastStart = n - c;
        TVec first = TS.Load(ref x, 0), last = TS.Load(ref x, lastStart);
        T max = TS.MaxAcross(TS.Max(first, last));
        if (!T.IsFinite(max))
        {
            SpecialRows.Softmax(ref x, ref destination, n);
            return;
        }

        TVec negatedMax = TS.Create(-max), scaleV = TS.Create(scale);
        bool scaled = scale != T.One;
        TVec e0 = RowPasses.ExpOfScaledDifference<TS, TVec, T>(first, negatedMax, scaleV, scaled);
        TVec e1 = RowPasses.ExpOfScaledDifference<TS, TVec, T>(last, negatedMax, scaleV, scaled);
        (double hi, double lo) = TS.SumAcross(e0, TS.ZeroLanesBelow(e1, (int)(c - lastStart)));
        TVec reciprocal = TS.Create(T.CreateTruncating(1.0 / (hi + lo)));
        TS.Store(TS.Multiply(e1, reciprocal), ref destination, lastStart);
        TS.Store(TS.Multiply(e0, reciprocal), ref destination, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShortRow<TS, TVec>(ref T x, ref T destination, int n, TVec mask, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (!ShortRows.TryExp<TS, TVec, T>(ref x, n, mask, scale, out _, out _, out TVec e))
        {
            SpecialRows.Softmax(ref x, ref destination, (nuint)n);
            return;
        }

        TS.StoreRow(TS.Multiply(e, TS.Create(T.CreateTruncating(1.0 / TS.SumAcross(e)))), ref destination, n, mask);
    }

    /// <summary>Float rows of 2-16 classes where Vector512 is allowed: 16 at a time, transposed, through one call (<see cref="SoftmaxBlocks"/>).</summary>
    public static int ShortRowBlocks<TVec>(in ForwardArgs<T> args)
        where TVec : struct =>
        SoftmaxBlocks.Run(in args, SoftmaxBlocks.BlockOp.Softmax);
}

/// <summary>log-softmax(scale·x) = scale·(x − max) − log Σ exp(scale·(x − max)).</summary>
internal readonly struct LogSoftmaxRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => rowLength;

    /// <summary>Rows to this length prefetch their destination in a batch: 128 KB of floats.</summary>
    private static unsafe nuint PrefetchDestinationMaxLength => (nuint)((1 << 17) / sizeof(T));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale, nuint nextRow)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (BlockedSoftmax.Takes<T>(n))
        {
            BlockedSoftmax.LogSoftmax<TS, TVec, T>(ref x, ref destination, n, scale);
            return;
        }

        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            SpecialRows.LogSoftmax(ref x, ref destination, n);
            return;
        }

        // The sum pass stores nothing: destination may be x, which the last pass reads again. In a
        // batch it prefetches the destination's lines, so that the last pass's stores do not each
        // wait for their line to be read from memory first; only for rows whose x and destination
        // fit in L2 together with the next row's x (beyond, it evicts lines still to be read).
        // Measured on Zen 5 (1 MB L2; profile mode, interleaved processes, elements/ns): 512 x 32,000
        // 2.6-2.8 → 2.9-3.2, 2,000 x 8,192 2.6-2.8 → 2.8-2.9, 4,096 x 1,000 level or better; 256 x 65,536
        // 2.6 → 2.4 and 64 x 128,256 2.4 → 2.1 slower, hence the limit.
        bool prefetchDestination = n <= PrefetchDestinationMaxLength;
        // Its outputs are scale·(x − max) − log Σ, both terms ≤ 0, so they need log Σ's relative accuracy
        // and no more: the exact fold only near Σ = 1.
        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref destination, n, max, scale, store: false, exact: true, nextRow, prefetchDestination: prefetchDestination, exactOnlyNearOne: true);
        (T logHi, T logLo) = LogOfSum.Split<T>(hi, lo, sameAsLanes: false);
        RowPasses.SubtractMaxAndLogSum<TS, TVec, T>(ref x, ref destination, n, max, scale, logHi, logLo);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShortRow<TS, TVec>(ref T x, ref T destination, int n, TVec mask, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (!ShortRows.TryExp<TS, TVec, T>(ref x, n, mask, scale, out TVec v, out T max, out TVec e))
        {
            SpecialRows.LogSoftmax(ref x, ref destination, (nuint)n);
            return;
        }

        (double hi, double lo) = ShortRows.ExactSum<TS, TVec, T>(v, max, e, mask);
        (T logHi, T logLo) = LogOfSum.Split<T>(hi, lo, sameAsLanes: true);
        TVec y = RowPasses.LogOfRatio<TS, TVec, T>(v, TS.Create(-max), TS.Create(scale), TS.Create(-logHi), TS.Create(logLo));
        TS.StoreRow(y, ref destination, n, mask);
    }

    /// <summary>Float rows of 2-16 classes where Vector512 is allowed: 16 at a time, transposed (<see cref="SoftmaxBlocks.LogSoftmax"/>).</summary>
    public static int ShortRowBlocks<TVec>(in ForwardArgs<T> args)
        where TVec : struct =>
        SoftmaxBlocks.Run(in args, SoftmaxBlocks.BlockOp.LogSoftmax);
}

/// <summary>log Σ exp(scale·x) = scale·max + log Σ exp(scale·(x − max)), one value per row.</summary>
internal readonly struct LogSumExpRow<T> : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int OutputsPerRow(int rowLength) => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<TS, TVec>(ref T x, ref T destination, nuint n, T scale, nuint nextRow)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (BlockedSoftmax.Takes<T>(n))
        {
            destination = BlockedSoftmax.LogSumExp<TS, TVec, T>(ref x, n, scale);
            return;
        }

        T max = RowPasses.Max<TS, TVec, T>(ref x, n);
        if (!T.IsFinite(max))
        {
            destination = SpecialRows.LogSumExp(ref x, n);
            return;
        }

        // scale·max + log Σ needs log Σ's relative accuracy (where the two cancel, log Σ's rounding in
        // double bounds the result's absolute error either way): the exact fold only near Σ = 1.
        (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref x, ref x, n, max, scale, store: false, exact: true, nextRow, exactOnlyNearOne: true);
        destination = LogOfSum.AddScaledMax(hi, lo, max, scale, sameAsLanes: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ShortRow<TS, TVec>(ref T x, ref T destination, int n, TVec mask, T scale)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (!ShortRows.TryExp<TS, TVec, T>(ref x, n, mask, scale, out TVec v, out T max, out TVec e))
        {
            destination = SpecialRows.LogSumExp(ref x, (nuint)n);
            return;
        }

        (double hi, double lo) = ShortRows.ExactSum<TS, TVec, T>(v, max, e, mask);
        destination = LogOfSum.AddScaledMax(hi, lo, max, scale, sameAsLanes: true);
    }

    /// <summary>Float rows of 2-16 classes where Vector512 is allowed: 16 at a time, transposed (<see cref="SoftmaxBlocks.LogSumExp"/>).</summary>
    public static int ShortRowBlocks<TVec>(in ForwardArgs<T> args)
        where TVec : struct =>
        SoftmaxBlocks.Run(in args, SoftmaxBlocks.BlockOp.LogSumExp);
}

/// <summary>The start every row kernel shares for a row shorter than a register.</summary>
internal static class ShortRows
{
    /// <summary>
    /// Loads the row (the lanes of <paramref name="mask"/>) and its max; where the max is finite, e =
    /// exp(scale·(x − max)) with the other lanes +0, and true. The other lanes are loaded as the row's
    /// first element: they leave the max alone, and their exp is a normal number, never an underflow
    /// (which costs a microcode assist on x86, every row: 6x slower, measured).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryExp<TS, TVec, T>(ref T x, int n, TVec mask, T scale, out TVec v, out T max, out TVec e)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        v = TS.LoadRow(ref x, n, mask);
        max = TS.MaxAcross(v);
        if (!T.IsFinite(max))
        {
            e = default;
            return false;
        }

        e = TS.KeepLanes(RowPasses.ExpOfScaledDifference<TS, TVec, T>(v, TS.Create(-max), TS.Create(scale), scale != T.One), mask);
        return true;
    }

    /// <summary>
    /// Σe as hi + lo, exact enough that hi + lo − 1 keeps its relative accuracy (as
    /// <see cref="RowPasses.SumAcross"/> with exact). For float, cheaper than TwoSum across the lanes:
    /// the k lanes at the max hold exp(0) = 1 exactly, so Σe = k + (the rest, each at most 1), and the rest
    /// summed in double is within 2^-51 of itself. A NaN lane is never at the max, so it still reaches the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) ExactSum<TS, TVec, T>(TVec v, T max, TVec e, TVec mask)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
        {
            return RowPasses.SumAcross<TS, TVec, T>(e, default, exact: true);
        }

        TVec atMax = TS.KeepLanes(TS.Equal(v, TS.Create(max)), mask);
        double k = TS.CountLanes(atMax);
        double rest = TS.SumAcross(TS.ZeroLanes(e, atMax));
        double hi = k + rest;
        return (hi, ExactArithmetic.SumError<SimdScalar<double>, double, double>(k, rest, hi));
    }
}

/// <summary>log of the double-double sum the exp pass returns, in the precision each caller needs.</summary>
internal static class LogOfSum
{
    /// <summary>
    /// log(x), x ≥ 1: <see cref="LogPositive"/> inline (to 2^-50) where the outputs are float and
    /// <paramref name="sameAsLanes"/>, Math.Log otherwise. Rows of one register need the inline log: the
    /// blocks of rows take its lanewise form and must give a row the bits it gets alone. Longer rows
    /// take Math.Log: on Zen 5 it is the faster at a row's end, where no vector register is live (a
    /// console loop, log-sum-exp of 100 floats: 55.9-56.6 → 52.2 ns a call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log<T>(double x, bool sameAsLanes = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) && sameAsLanes ? LogPositive.Compute(x) : Math.Log(x);

    /// <summary>log(hi + lo) as T-precision hi + lo: log(hi) + lo/hi (hi ≥ 1, |lo| ≪ ulp(hi)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Hi, T Lo) Split<T>(double hi, double lo, bool sameAsLanes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double a = Log<T>(hi, sameAsLanes), b = lo / hi;
        T logHi = T.CreateTruncating(a + b);
        return (logHi, T.CreateTruncating((a - double.CreateTruncating(logHi)) + b));
    }

    /// <summary>scale·max + log(hi + lo), rounded once to T where float; with the product's error kept where double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T AddScaledMax<T>(double hi, double lo, T max, T scale, bool sameAsLanes)
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

        double a = Log<T>(hi, sameAsLanes), b = lo / hi;
        return T.CreateTruncating((product + a) + (productError + b));
    }
}
