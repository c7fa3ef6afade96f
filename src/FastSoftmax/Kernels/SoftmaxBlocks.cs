using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>
/// Softmax, log-softmax and log-sum-exp of float rows of 2 to 16 classes, sixteen rows at a time,
/// transposed so that each register holds one class of 16 rows: the max and the sum become vertical
/// (no horizontal reduction per row) and no lane is spent on padding. Per element it does the
/// arithmetic of the one-register path (<see cref="SoftmaxRow{T}.ShortRow"/> and its log siblings, on
/// the register they pick: 4, 8 or 16 lanes) and sums in that register's order, so the results are
/// the same bit for bit: a batch equals its rows computed alone. Also the register transposes of the
/// cross-entropy's short rows (16 float rows, 8 double rows).
/// </summary>
// Its 1 KB blocks need no zeroing: every lane is written before it is read (zeroing them was 5 % of
// a 10-class batch's samples).
[SkipLocalsInit]
internal static class SoftmaxBlocks
{
    public const int Rows = 16;

    // Transposing 16 x 16 floats: at each scale h (8, 4, 2, 1), rows i and i + h swap their off-diagonal
    // h-blocks. Scales 2 and 1 are 4 x 4 transposes inside the 128-bit lanes (TransposeInLanes); on the
    // way in, scales 8 and 4 are 128-bit loads (LoadTransposed); on the way out, scale 8 is 256-bit
    // stores and scale 4 one vpermt2ps each way: register i keeps its lanes with bit 2 clear and takes
    // register i + 4's below them, register i + 4 takes register i's lanes with bit 2 set and keeps its
    // own. Their lane indices, "keep" then "take": RVA data, which needs no class initialization (as
    // static readonly fields, code compiled before the class was initialized, tiered compilation off or
    // ReadyToRun, loaded them behind a class-initialization check whose helper call spilled the
    // transposes' registers).
    private static ReadOnlySpan<int> SwapIndices =>
    [
        0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27,
        4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31,
    ];

    /// <summary>Rows of 2 to 16 classes on AVX-512 (where the per-row registers of 4 and 8 lanes mask too).</summary>
    public static bool Applies(int classes) =>
        classes >= 2 && classes <= Vector512<float>.Count && Simd512<float>.IsSupported && Simd256<float>.HasMaskedMemory && Simd128<float>.HasMaskedMemory;

    /// <summary>Softmax of the whole blocks of 16 rows from the first; returns the rows done (0 where <see cref="Applies"/> is false).</summary>
    // Fully optimized from the first call, as the long rows' and the cross-entropy's kernels: a
    // BenchmarkDotNet process of the tiered 65,536 x 10 log-softmax settled at 0.36 elements/ns
    // (0.84-0.91 in other processes) after a 36 ms first call; profile mode level with and without.
    // So is every method on the blocks' path that the JIT may leave as a call (SoftmaxExps,
    // ScaleAndStore, LogSoftmax, LogSumExp, FoldedSum, the transposes, which the cross-entropy's
    // blocks call too): at tier 0 they ran the blocks 7x slower until tiering
    // replaced them, 0.1-0.2 s into a process (a BenchmarkDotNet process measured four iterations
    // of the 100,000 x 10 softmax at 4.1 ms a call, then 0.59 ms). Zen 5, 100,000 x 10 in profile
    // mode: the first 0.3 s 0.69 -> 1.34-1.46 elements/ns (softmax) and 0.59 -> 1.11-1.13
    // (log-softmax); steady, against tier 1 with dynamic PGO, 1.72-1.76 -> 1.67-1.70 and 1.31 ->
    // 1.23-1.26, log-sum-exp and cross-entropy level. We take the steady few percent for a speed
    // that does not depend on the JIT's tiering.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe int Run(float* x, float* destination, int rows, int classes, float scale, BlockOp op = BlockOp.Softmax)
    {
        if (!Applies(classes))
        {
            return 0;
        }

        byte* scratch = stackalloc byte[(2 * BlockBytes) + CacheLine];
        Block* first = (Block*)Aligned(scratch), second = first + 1;
        int r = 0;
        if (op == BlockOp.Softmax)
        {
            // Software-pipelined by a block: each block's exps and reciprocal (which ends on a chain of
            // divisions), then the last block's scaling and stores, whose inputs are ready, while that
            // chain runs. 100,000 x 10 1.19-1.26 -> 1.28-1.32 elements/ns, 62,500 x 16 1.38-1.51 -> 1.50-1.56.
            Vector512<float> previousReciprocal = default;
            nint previousAt = -1;
            for (; r + Rows <= rows; r += Rows)
            {
                nint at = (nint)r * classes;
                bool transposed = SoftmaxExps(ref *(x + at), ref *(destination + at), classes, scale, ref *first, out Vector512<float> reciprocal);
                if (previousAt >= 0)
                {
                    ScaleAndStore(ref *second, previousReciprocal, ref *(destination + previousAt), classes);
                }

                (previousAt, previousReciprocal) = (transposed ? at : -1, reciprocal);
                Block* next = second;
                second = first;
                first = next;
            }

            if (previousAt >= 0)
            {
                ScaleAndStore(ref *second, previousReciprocal, ref *(destination + previousAt), classes);
            }

            return r;
        }

        ref Block m = ref *first, e = ref *second;
        for (; r + Rows <= rows; r += Rows)
        {
            nint at = (nint)r * classes;
            if (op == BlockOp.LogSoftmax)
            {
                LogSoftmax(ref *(x + at), ref *(destination + at), classes, scale, ref m, ref e);
            }
            else
            {
                LogSumExp(ref *(x + at), ref *(destination + r), classes, scale, ref m, ref e);
            }
        }

        return r;
    }

    /// <summary>The blocks of a batch of float rows where Vector512 is allowed; returns the rows done (0 for double, or no whole block).</summary>
    public static unsafe int Run<T>(in ForwardArgs<T> args, BlockOp op)
        where T : unmanaged =>
        typeof(T) == typeof(float) && args.Wide && args.Rows >= Rows
            ? Run((float*)args.X, (float*)args.Destination, args.Rows, args.RowLength, Unsafe.BitCast<T, float>(args.Scale), op)
            : 0;

    /// <summary>What <see cref="Run(float*, float*, int, int, float, BlockOp)"/> computes of each block.</summary>
    public enum BlockOp
    {
        Softmax,
        LogSoftmax,
        LogSumExp,
    }

    /// <summary>
    /// Log-softmax of the 16 rows at x into destination (which may be x), each as
    /// <see cref="LogSoftmaxRow{T}.ShortRow"/> computes it alone: the exps and their sum down the
    /// registers as in <see cref="SoftmaxExps"/>, the lanes at the max left out of the sum and counted
    /// (Σe = k + the rest), each row's log of its sum by the same scalar code, then the last pass on
    /// the registers. A block with a row whose max is not finite goes row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogSoftmax(ref float x, ref float destination, int classes, float scale, ref Block m, ref Block e)
    {
        if (!SumWithoutMax(ref x, classes, scale, ref m, ref e, out Vector512<float> max, out Vector512<float> atMax, out Vector512<double> restLo, out Vector512<double> restHi))
        {
            RowByRow(ref x, ref destination, classes, scale, BlockOp.LogSoftmax);
            return;
        }

        // Each row's log of its sum split in two floats, for rows 0-7 and 8-15: LogOfSum.Split's
        // operations on vectors of rows.
        (Vector256<float> negatedLogHi0, Vector256<float> logLo0) = SplitLog(SumAndLog(Vector512.WidenLower(atMax), restLo));
        (Vector256<float> negatedLogHi1, Vector256<float> logLo1) = SplitLog(SumAndLog(Vector512.WidenUpper(atMax), restHi));
        Vector512<float> negatedLogHi = negatedLogHi0.ToVector512Unsafe().WithUpper(negatedLogHi1), logLo = logLo0.ToVector512Unsafe().WithUpper(logLo1);
        Vector512<float> negatedMax = -max, scaleV = Vector512.Create(scale);
        for (int c = 0; c < classes; c++)
        {
            m[c] = RowPasses.LogOfRatio<Simd512<float>, Vector512<float>, float>(m[c], negatedMax, scaleV, negatedLogHi, logLo);
        }

        StoreTransposed(ref m, ref destination, classes);
    }

    /// <summary>
    /// Log-sum-exp of the 16 rows at x into destination[0..15], each as
    /// <see cref="LogSumExpRow{T}.ShortRow"/> computes it alone (the sums as in <see cref="LogSoftmax"/>,
    /// then <see cref="FastSoftmax.Kernels.LogOfSum.AddScaledMax{T}"/>'s operations on vectors of rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogSumExp(ref float x, ref float destination, int classes, float scale, ref Block m, ref Block e)
    {
        if (!SumWithoutMax(ref x, classes, scale, ref m, ref e, out Vector512<float> max, out Vector512<float> atMax, out Vector512<double> restLo, out Vector512<double> restHi))
        {
            RowByRow(ref x, ref destination, classes, scale, BlockOp.LogSumExp);
            return;
        }

        Vector512<double> s = Vector512.Create((double)scale);
        ScaledMaxPlusLog(s * Vector512.WidenLower(max), SumAndLog(Vector512.WidenLower(atMax), restLo)).StoreUnsafe(ref destination);
        ScaledMaxPlusLog(s * Vector512.WidenUpper(max), SumAndLog(Vector512.WidenUpper(atMax), restHi)).StoreUnsafe(ref destination, (nuint)Vector256<float>.Count);
    }

    /// <summary>
    /// The exps down the registers with the lanes at the max left out and counted, as the one-register
    /// path's ExactSum (Σe = k + rest), each row's rest folded in its register's order. False for a
    /// block with a row whose max is not finite.
    /// </summary>
    // Inlined into LogSoftmax and LogSumExp, as dynamic PGO had chosen: a call of its own is not
    // fully optimized from the first call as they are.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SumWithoutMax(ref float x, int classes, float scale, ref Block m, ref Block e, out Vector512<float> max, out Vector512<float> atMax, out Vector512<double> restLo, out Vector512<double> restHi)
    {
        // max and atMax accumulate in locals: through the out parameters (memory) each class waited
        // on the last one's store, a third of the 10-class log-sum-exp block's time.
        LoadTransposed(ref x, classes, ref m);
        Vector512<float> rowMax = MaxOfClasses(ref m, classes);

        (max, atMax, restLo, restHi) = (rowMax, default, default, default);
        if (!Vector512.EqualsAll(rowMax - rowMax, Vector512<float>.Zero))
        {
            return false;
        }

        Vector512<float> negatedMax = -rowMax, scaleV = Vector512.Create(scale), count = default;
        bool scaled = scale != 1f;
        for (int c = 0; c < classes; c++)
        {
            Vector512<float> isMax = Vector512.Equals(m[c], rowMax);
            count += Vector512.ConditionalSelect(isMax, Vector512<float>.One, default);
            e[c] = Simd512<float>.ZeroLanes(RowPasses.ExpOfScaledDifference<Simd512<float>, Vector512<float>, float>(m[c], negatedMax, scaleV, scaled), isMax);
        }

        atMax = count;

        int width = RegisterWidth(classes);
        restLo = FoldedSum(ref e, width, classes, upper: false);
        restHi = FoldedSum(ref e, width, classes, upper: true);
        return true;
    }

    /// <summary>
    /// Softmax of the 16 rows at x, the first part: m = the exps, transposed, and each row's reciprocal
    /// of their sum. A block with a row whose max is not finite goes row by row through the
    /// one-register path, for the special values, into destination (which may be x); false then.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SoftmaxExps(ref float x, ref float destination, int classes, float scale, ref Block m, out Vector512<float> reciprocal)
    {
        LoadTransposed(ref x, classes, ref m);
        Vector512<float> max = MaxOfClasses(ref m, classes);

        if (!Vector512.EqualsAll(max - max, Vector512<float>.Zero))
        {
            RowByRow(ref x, ref destination, classes, scale);
            reciprocal = default;
            return false;
        }

        Vector512<float> negatedMax = -max, scaleV = Vector512.Create(scale);
        bool scaled = scale != 1f;
        for (int c = 0; c < classes; c++)
        {
            m[c] = RowPasses.ExpOfScaledDifference<Simd512<float>, Vector512<float>, float>(m[c], negatedMax, scaleV, scaled);
        }

        // Per row, the order of the one-register path's SumAcross: widened to double, lanes j and j + w/2
        // added, w halving from the register's width (e.g. 16: t_j = e_j + e_(j+8), then t_j + t_(j+4), ...).
        int width = RegisterWidth(classes);
        Vector512<double> sumLo = FoldedSum(ref m, width, classes, upper: false), sumHi = FoldedSum(ref m, width, classes, upper: true);
        reciprocal = Avx512F.ConvertToVector256Single(Vector512<double>.One / sumLo).ToVector512Unsafe()
            .WithUpper(Avx512F.ConvertToVector256Single(Vector512<double>.One / sumHi)); // not Create(lower, upper): see Simd512.LoadRow
        return true;
    }

    /// <summary>Softmax of 16 rows, the second part: destination = (m · reciprocal)ᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleAndStore(ref Block m, Vector512<float> reciprocal, ref float destination, int classes)
    {
        for (int c = 0; c < classes; c++)
        {
            m[c] *= reciprocal;
        }

        StoreTransposed(ref m, ref destination, classes);
    }

    /// <summary>
    /// Each row's max over its classes, class by class. The order matters for NaN only (vmaxps returns
    /// its second operand where either is NaN): this one gives every NaN row the bits it gets alone,
    /// which a max on two chains did not (log-softmax, 5 classes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxOfClasses(ref Block m, int classes)
    {
        Vector512<float> max = m[0];
        for (int c = 1; c < classes; c++)
        {
            max = Simd512<float>.Max(max, m[c]);
        }

        return max;
    }

    /// <summary>The lanes of the register the one-register path holds a row of this many classes in.</summary>
    private static int RegisterWidth(int classes) =>
        classes <= Vector128<float>.Count ? Vector128<float>.Count : classes <= Vector256<float>.Count ? Vector256<float>.Count : Vector512<float>.Count;

    /// <summary>
    /// Σ_c e[c] in double for rows 0-7 (or 8-15), folded as a register of <paramref name="width"/> lanes
    /// is, in registers: the halvings written out per width. The one-register path's lanes from
    /// <paramref name="classes"/> on hold +0, and x + (+0) is x for every sum it meets (all terms are
    /// ≥ +0), so those additions are left out: the bits of the one-register path's fold over the live
    /// classes. (Through a scratch in memory, a loop of these additions was a seventh of the 10-class
    /// block.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector512<double> FoldedSum(ref Block e, int width, int classes, bool upper)
    {
        if (width == 4)
        {
            return Pair(ref e, 0, 2, classes, upper) + Pair(ref e, 1, 3, classes, upper);
        }

        if (width == 8)
        {
            Vector512<double> t0 = Pair(ref e, 0, 4, classes, upper), t1 = Pair(ref e, 1, 5, classes, upper);
            Vector512<double> t2 = Pair(ref e, 2, 6, classes, upper), t3 = Pair(ref e, 3, 7, classes, upper);
            return (t0 + t2) + (t1 + t3);
        }

        Vector512<double> u0 = Pair(ref e, 0, 8, classes, upper), u1 = Pair(ref e, 1, 9, classes, upper);
        Vector512<double> u2 = Pair(ref e, 2, 10, classes, upper), u3 = Pair(ref e, 3, 11, classes, upper);
        Vector512<double> u4 = Pair(ref e, 4, 12, classes, upper), u5 = Pair(ref e, 5, 13, classes, upper);
        Vector512<double> u6 = Pair(ref e, 6, 14, classes, upper), u7 = Pair(ref e, 7, 15, classes, upper);
        return ((u0 + u4) + (u2 + u6)) + ((u1 + u5) + (u3 + u7));
    }

    /// <summary>e[a] + e[b] widened, or e[a] alone where class b is past the row (a always is a class: a &lt; width / 2 &lt;= classes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Pair(ref Block e, int a, int b, int classes, bool upper) =>
        b < classes ? Widened(e[a], upper) + Widened(e[b], upper) : Widened(e[a], upper);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Widened(Vector512<float> e, bool upper) =>
        upper ? Vector512.WidenUpper(e) : Vector512.WidenLower(e);

    /// <summary>
    /// For eight rows: hi = k + rest, lo its TwoSum error, and log(hi) by LogPositive's vector form
    /// (the scalar form's bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<double> Hi, Vector512<double> Lo, Vector512<double> LogHi) SumAndLog(Vector512<double> k, Vector512<double> rest)
    {
        Vector512<double> hi = k + rest;
        Vector512<double> lo = ExactArithmetic.SumError<Simd512<double>, Vector512<double>, double>(k, rest, hi);
        return (hi, lo, LogPositive.Compute(hi));
    }

    /// <summary>−logHi and logLo of log(hi + lo), as LogOfSum.Split's two floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> NegatedLogHi, Vector256<float> LogLo) SplitLog((Vector512<double> Hi, Vector512<double> Lo, Vector512<double> LogHi) sum)
    {
        Vector512<double> a = sum.LogHi, b = sum.Lo / sum.Hi;
        Vector256<float> logHi = Avx512F.ConvertToVector256Single(a + b);
        return (-logHi, Avx512F.ConvertToVector256Single((a - Avx512F.ConvertToVector512Double(logHi)) + b));
    }

    /// <summary>
    /// scale·max + log(hi + lo) rounded once to float, as LogOfSum.AddScaledMax: scale·max of two floats
    /// is exact in double, so its error term is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ScaledMaxPlusLog(Vector512<double> product, (Vector512<double> Hi, Vector512<double> Lo, Vector512<double> LogHi) sum) =>
        Avx512F.ConvertToVector256Single((product + sum.LogHi) + (Vector512<double>.Zero + (sum.Lo / sum.Hi)));

    /// <summary>Each row through the one-register path, on the register it would pick alone.</summary>
    private static void RowByRow(ref float x, ref float destination, int classes, float scale, BlockOp op = BlockOp.Softmax)
    {
        for (int r = 0; r < Rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref x, r * classes);
            ref float dr = ref Unsafe.Add(ref destination, op == BlockOp.LogSumExp ? r : r * classes);
            switch (RegisterWidth(classes))
            {
                case 4:
                    OneRow<Simd128<float>, Vector128<float>>(ref xr, ref dr, classes, scale, op);
                    break;
                case 8:
                    OneRow<Simd256<float>, Vector256<float>>(ref xr, ref dr, classes, scale, op);
                    break;
                default:
                    OneRow<Simd512<float>, Vector512<float>>(ref xr, ref dr, classes, scale, op);
                    break;
            }
        }
    }

    private static void OneRow<TS, TVec>(ref float x, ref float destination, int classes, float scale, BlockOp op)
        where TS : ISimd<TVec, float>
        where TVec : struct
    {
        switch (op)
        {
            case BlockOp.LogSoftmax:
                LogSoftmaxRow<float>.ShortRow<TS, TVec>(ref x, ref destination, classes, TS.FirstLanes(classes), scale);
                break;
            case BlockOp.LogSumExp:
                LogSumExpRow<float>.ShortRow<TS, TVec>(ref x, ref destination, classes, TS.FirstLanes(classes), scale);
                break;
            default:
                SoftmaxRow<float>.ShortRow<TS, TVec>(ref x, ref destination, classes, TS.FirstLanes(classes), scale);
                break;
        }
    }

    /// <summary>m = the 16 rows at x, transposed (class c of every row in m[c]); in registers between the loads and the stores.</summary>
    // Not inlined (nor is StoreTransposed): inlined, its 16 live registers spill the exp loop's (measured
    // 2x slower per row, which dynamic PGO's inlining otherwise chooses).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void LoadTransposed(ref float x, int classes, ref Block m)
    {
        // The transpose's scales 8 and 4 as loads: after them register 4a + i holds classes 4a..4a+3 of
        // rows i, i + 4, i + 8 and i + 12, 128 bits each, which a load and three inserts from memory
        // build. Zen 4 runs a 512-bit vpermt2ps on the pipe of the FMAs (measured: 8 permutes and 8 FMAs
        // take 16.6 cycles, either alone 8), and an insert from memory costs that pipe about a quarter
        // of one: softmax 100,000 x 10 1.05-1.19 → 1.24-1.28 elements/ns, 250,000 x 4 0.66 → 0.84.
        Vector512<float> r0 = Quads(ref x, 0, 0, classes), r1 = Quads(ref x, 1, 0, classes), r2 = Quads(ref x, 2, 0, classes), r3 = Quads(ref x, 3, 0, classes);
        Vector512<float> r4 = Quads(ref x, 0, 1, classes), r5 = Quads(ref x, 1, 1, classes), r6 = Quads(ref x, 2, 1, classes), r7 = Quads(ref x, 3, 1, classes);
        Vector512<float> r8 = Quads(ref x, 0, 2, classes), r9 = Quads(ref x, 1, 2, classes), r10 = Quads(ref x, 2, 2, classes), r11 = Quads(ref x, 3, 2, classes);
        Vector512<float> r12 = Quads(ref x, 0, 3, classes), r13 = Quads(ref x, 1, 3, classes), r14 = Quads(ref x, 2, 3, classes), r15 = Quads(ref x, 3, 3, classes);
        TransposeInLanes(4, classes, ref r0, ref r1, ref r2, ref r3);
        TransposeInLanes(4, classes - 4, ref r4, ref r5, ref r6, ref r7);
        TransposeInLanes(4, classes - 8, ref r8, ref r9, ref r10, ref r11);
        TransposeInLanes(4, classes - 12, ref r12, ref r13, ref r14, ref r15);
        m[0] = r0;
        m[1] = r1;
        m[2] = r2;
        m[3] = r3;
        m[4] = r4;
        m[5] = r5;
        m[6] = r6;
        m[7] = r7;
        m[8] = r8;
        m[9] = r9;
        m[10] = r10;
        m[11] = r11;
        m[12] = r12;
        m[13] = r13;
        m[14] = r14;
        m[15] = r15;
    }

    /// <summary>The 16 rows at destination = mᵀ (the inverse of <see cref="LoadTransposed(ref float, int, ref Block)"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void StoreTransposed(ref Block m, ref float destination, int classes)
    {
        Vector512<float> r0 = m[0], r1 = m[1], r2 = m[2], r3 = m[3], r4 = m[4], r5 = m[5], r6 = m[6], r7 = m[7];
        Vector512<float> r8 = m[8], r9 = m[9], r10 = m[10], r11 = m[11], r12 = m[12], r13 = m[13], r14 = m[14], r15 = m[15];
        // Scales 2 and 1 in the lanes, then 4 by permutes (the rows' lanes all move; only registers
        // 12-15's classes can be dead). The lane shuffles in place of vpermt2ps pairs at scales 2 and 1,
        // both ways, leave 16 permutes on the FMAs' pipe at 10 classes instead of 66: softmax 100,000 x
        // 10 1.30 -> 1.36 elements/ns, 250,000 x 4 0.96 -> 1.02, log-softmax 100,000 x 10 0.91 -> 0.98.
        // Scale 4 as 128-bit stores instead (no permutes, 48 extracts to memory): 1.31-1.33.
        TransposeInLanes(classes, 4, ref r0, ref r1, ref r2, ref r3);
        TransposeInLanes(classes - 4, 4, ref r4, ref r5, ref r6, ref r7);
        TransposeInLanes(classes - 8, 4, ref r8, ref r9, ref r10, ref r11);
        TransposeInLanes(classes - 12, 4, ref r12, ref r13, ref r14, ref r15);

        ref int swap = ref MemoryMarshal.GetReference(SwapIndices);
        Vector512<int> keep4 = Vector512.LoadUnsafe(ref swap), take4 = Vector512.LoadUnsafe(ref swap, 16);
        (r0, r4) = SwapBlocks(r0, r4, keep4, take4);
        (r1, r5) = SwapBlocks(r1, r5, keep4, take4);
        (r2, r6) = SwapBlocks(r2, r6, keep4, take4);
        (r3, r7) = SwapBlocks(r3, r7, keep4, take4);
        if (classes > 8)
        {
            (r8, r12) = SwapBlocks(r8, r12, keep4, take4);
            (r9, r13) = SwapBlocks(r9, r13, keep4, take4);
            (r10, r14) = SwapBlocks(r10, r14, keep4, take4);
            (r11, r15) = SwapBlocks(r11, r15, keep4, take4);
        }

        // Scale 8 as stores: row i is the lower halves of registers i and i + 8, row i + 8 their upper
        // halves; row by row, so that where a half reaches past its row into the next one, the next
        // row's own halves come after it.
        StoreHalves(r0.GetLower(), r8.GetLower(), ref destination, 0, classes);
        StoreHalves(r1.GetLower(), r9.GetLower(), ref destination, 1, classes);
        StoreHalves(r2.GetLower(), r10.GetLower(), ref destination, 2, classes);
        StoreHalves(r3.GetLower(), r11.GetLower(), ref destination, 3, classes);
        StoreHalves(r4.GetLower(), r12.GetLower(), ref destination, 4, classes);
        StoreHalves(r5.GetLower(), r13.GetLower(), ref destination, 5, classes);
        StoreHalves(r6.GetLower(), r14.GetLower(), ref destination, 6, classes);
        StoreHalves(r7.GetLower(), r15.GetLower(), ref destination, 7, classes);
        StoreHalves(r0.GetUpper(), r8.GetUpper(), ref destination, 8, classes);
        StoreHalves(r1.GetUpper(), r9.GetUpper(), ref destination, 9, classes);
        StoreHalves(r2.GetUpper(), r10.GetUpper(), ref destination, 10, classes);
        StoreHalves(r3.GetUpper(), r11.GetUpper(), ref destination, 11, classes);
        StoreHalves(r4.GetUpper(), r12.GetUpper(), ref destination, 12, classes);
        StoreHalves(r5.GetUpper(), r13.GetUpper(), ref destination, 13, classes);
        StoreHalves(r6.GetUpper(), r14.GetUpper(), ref destination, 14, classes);
        StoreHalves(r7.GetUpper(), r15.GetUpper(), ref destination, 15, classes);
    }

    /// <summary>Row r: classes 0-7, then 8-15 where the row has them; masked where a half would reach past the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreHalves(Vector256<float> first, Vector256<float> second, ref float destination, int r, int classes)
    {
        StoreHalf(first, ref destination, r * classes, classes);
        if (classes > Vector256<float>.Count)
        {
            StoreHalf(second, ref destination, (r * classes) + Vector256<float>.Count, classes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreHalf(Vector256<float> half, ref float destination, int at, int classes)
    {
        if (at + Vector256<float>.Count <= Rows * classes)
        {
            half.StoreUnsafe(ref destination, (nuint)at);
        }
        else
        {
            Simd256<float>.StoreFirst(half, ref Unsafe.Add(ref destination, at), Simd256<float>.FirstLanes((Rows * classes) - at));
        }
    }

    /// <summary>
    /// Eight double rows of 2 to 16 classes at x, transposed: m[8·j + r] = x[r·classes + j] (class j of
    /// every row in one register). From 8 classes, as two 8 x 8 blocks, the first classes and the last,
    /// overlapping: plain loads and stores inside each row (with masked ones the way out was 7 % of the
    /// double 1,438 x 10 cross-entropy's samples, the way in 3 %).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void LoadTransposed(ref double x, int classes, ref double m)
    {
        if (classes < DoubleRows)
        {
            LoadTransposed8(ref x, classes, Simd512<double>.FirstLanes(classes), masked: true, ref m);
            return;
        }

        LoadTransposed8(ref x, classes, default, masked: false, ref m);
        int last = classes - DoubleRows;
        LoadTransposed8(ref Unsafe.Add(ref x, last), classes, default, masked: false, ref Unsafe.Add(ref m, last * DoubleRows));
    }

    /// <summary>The eight rows at destination = mᵀ (the inverse of <see cref="LoadTransposed(ref double, int, ref double)"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void StoreTransposed(ref double m, ref double destination, int classes)
    {
        if (classes < DoubleRows)
        {
            StoreTransposed8(ref m, ref destination, classes, Simd512<double>.FirstLanes(classes), masked: true);
            return;
        }

        StoreTransposed8(ref m, ref destination, classes, default, masked: false);
        int last = classes - DoubleRows;
        StoreTransposed8(ref Unsafe.Add(ref m, last * DoubleRows), ref Unsafe.Add(ref destination, last), classes, default, masked: false);
    }

    private const int DoubleRows = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadTransposed8(ref double x, int stride, Vector512<double> mask, bool masked, ref double m)
    {
        Vector512<double> r0 = LoadRow8(ref x, mask, masked);
        Vector512<double> r1 = LoadRow8(ref Unsafe.Add(ref x, stride), mask, masked);
        Vector512<double> r2 = LoadRow8(ref Unsafe.Add(ref x, 2 * stride), mask, masked);
        Vector512<double> r3 = LoadRow8(ref Unsafe.Add(ref x, 3 * stride), mask, masked);
        Vector512<double> r4 = LoadRow8(ref Unsafe.Add(ref x, 4 * stride), mask, masked);
        Vector512<double> r5 = LoadRow8(ref Unsafe.Add(ref x, 5 * stride), mask, masked);
        Vector512<double> r6 = LoadRow8(ref Unsafe.Add(ref x, 6 * stride), mask, masked);
        Vector512<double> r7 = LoadRow8(ref Unsafe.Add(ref x, 7 * stride), mask, masked);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.StoreUnsafe(ref m);
        r1.StoreUnsafe(ref m, 8);
        r2.StoreUnsafe(ref m, 16);
        r3.StoreUnsafe(ref m, 24);
        r4.StoreUnsafe(ref m, 32);
        r5.StoreUnsafe(ref m, 40);
        r6.StoreUnsafe(ref m, 48);
        r7.StoreUnsafe(ref m, 56);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed8(ref double m, ref double destination, int stride, Vector512<double> mask, bool masked)
    {
        Vector512<double> r0 = Vector512.LoadUnsafe(ref m), r1 = Vector512.LoadUnsafe(ref m, 8);
        Vector512<double> r2 = Vector512.LoadUnsafe(ref m, 16), r3 = Vector512.LoadUnsafe(ref m, 24);
        Vector512<double> r4 = Vector512.LoadUnsafe(ref m, 32), r5 = Vector512.LoadUnsafe(ref m, 40);
        Vector512<double> r6 = Vector512.LoadUnsafe(ref m, 48), r7 = Vector512.LoadUnsafe(ref m, 56);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        StoreRow8(r0, ref destination, mask, masked);
        StoreRow8(r1, ref Unsafe.Add(ref destination, stride), mask, masked);
        StoreRow8(r2, ref Unsafe.Add(ref destination, 2 * stride), mask, masked);
        StoreRow8(r3, ref Unsafe.Add(ref destination, 3 * stride), mask, masked);
        StoreRow8(r4, ref Unsafe.Add(ref destination, 4 * stride), mask, masked);
        StoreRow8(r5, ref Unsafe.Add(ref destination, 5 * stride), mask, masked);
        StoreRow8(r6, ref Unsafe.Add(ref destination, 6 * stride), mask, masked);
        StoreRow8(r7, ref Unsafe.Add(ref destination, 7 * stride), mask, masked);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> LoadRow8(ref double x, Vector512<double> mask, bool masked) =>
        masked ? Simd512<double>.LoadFirst(ref x, mask, 0) : Vector512.LoadUnsafe(ref x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow8(Vector512<double> value, ref double destination, Vector512<double> mask, bool masked)
    {
        if (masked)
        {
            Simd512<double>.StoreFirst(value, ref destination, mask);
        }
        else
        {
            value.StoreUnsafe(ref destination);
        }
    }

    /// <summary>
    /// The 8 x 8 transpose of doubles: pairs of rows interleaved (vunpcklpd/vunpckhpd), then pairs of
    /// 128-bit lanes gathered twice (vshuff64x2), 24 shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(
        ref Vector512<double> r0, ref Vector512<double> r1, ref Vector512<double> r2, ref Vector512<double> r3,
        ref Vector512<double> r4, ref Vector512<double> r5, ref Vector512<double> r6, ref Vector512<double> r7)
    {
        const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01; // lanes (0, 2) of a, then of b; (1, 3)
        Vector512<double> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<double> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<double> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<double> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<double> u0 = Avx512F.Shuffle4x128(t0, t2, Even), u1 = Avx512F.Shuffle4x128(t0, t2, Odd);
        Vector512<double> u2 = Avx512F.Shuffle4x128(t1, t3, Even), u3 = Avx512F.Shuffle4x128(t1, t3, Odd);
        Vector512<double> u4 = Avx512F.Shuffle4x128(t4, t6, Even), u5 = Avx512F.Shuffle4x128(t4, t6, Odd);
        Vector512<double> u6 = Avx512F.Shuffle4x128(t5, t7, Even), u7 = Avx512F.Shuffle4x128(t5, t7, Odd);
        r0 = Avx512F.Shuffle4x128(u0, u4, Even);
        r4 = Avx512F.Shuffle4x128(u0, u4, Odd);
        r2 = Avx512F.Shuffle4x128(u1, u5, Even);
        r6 = Avx512F.Shuffle4x128(u1, u5, Odd);
        r1 = Avx512F.Shuffle4x128(u2, u6, Even);
        r5 = Avx512F.Shuffle4x128(u2, u6, Odd);
        r3 = Avx512F.Shuffle4x128(u3, u7, Even);
        r7 = Avx512F.Shuffle4x128(u3, u7, Odd);
    }

    /// <summary>Classes 4a..4a+3 of rows i, i + 4, i + 8 and i + 12 (zero where 4a is past the row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quads(ref float x, int i, int a, int classes)
    {
        if (4 * a >= classes)
        {
            return default;
        }

        Vector512<float> v = Piece(ref x, i, a, classes).ToVector256Unsafe().ToVector512Unsafe();
        v = Avx512F.InsertVector128(v, Piece(ref x, i + 4, a, classes), 1);
        v = Avx512F.InsertVector128(v, Piece(ref x, i + 8, a, classes), 2);
        return Avx512F.InsertVector128(v, Piece(ref x, i + 12, a, classes), 3);
    }

    /// <summary>
    /// Classes 4a..4a+3 of row r. Only the last row's pieces can reach past the block (for 4a &lt; classes
    /// and r ≤ 14, r·classes + 4a + 4 ≤ 16·classes): masked there where they would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Piece(ref float x, int r, int a, int classes)
    {
        int at = (r * classes) + (4 * a);
        return r < Rows - 1 || at + Vector128<float>.Count <= Rows * classes
            ? Vector128.LoadUnsafe(ref x, (nuint)at)
            : Simd128<float>.LoadFirst(ref Unsafe.Add(ref x, at), Simd128<float>.FirstLanes((Rows * classes) - at), 0f);
    }

    /// <summary>
    /// The 4 x 4 transposes inside each 128-bit lane of four registers (vunpcklps/vunpckhps, then
    /// vunpcklpd/vunpckhpd): the transpose's scales 2 and 1, on a pipe of their own (Zen 4 runs them
    /// beside the FMAs, measured: 8 of them and 8 FMAs take 9.5-9.7 cycles, where 8 vpermt2ps and 8
    /// FMAs take 16.5). Only the first <paramref name="liveIn"/> inputs and <paramref name="liveOut"/>
    /// outputs are of use (the classes below the row's count): the shuffles of the rest are left out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeInLanes(int liveIn, int liveOut, ref Vector512<float> a, ref Vector512<float> b, ref Vector512<float> c, ref Vector512<float> d)
    {
        if (liveIn <= 0 || liveOut <= 0)
        {
            return;
        }

        Vector512<double> t0 = Avx512F.UnpackLow(a, b).AsDouble();
        Vector512<double> t2 = liveIn > 2 ? Avx512F.UnpackLow(c, d).AsDouble() : t0;
        if (liveOut > 2)
        {
            Vector512<double> t1 = Avx512F.UnpackHigh(a, b).AsDouble();
            Vector512<double> t3 = liveIn > 2 ? Avx512F.UnpackHigh(c, d).AsDouble() : t1;
            c = Avx512F.UnpackLow(t1, t3).AsSingle();
            d = Avx512F.UnpackHigh(t1, t3).AsSingle();
        }

        a = Avx512F.UnpackLow(t0, t2).AsSingle();
        b = Avx512F.UnpackHigh(t0, t2).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> A, Vector512<float> B) SwapBlocks(Vector512<float> a, Vector512<float> b, Vector512<int> keep, Vector512<int> take) =>
        (Avx512F.PermuteVar16x32x2(a, keep, b), Avx512F.PermuteVar16x32x2(a, take, b));

    private const int CacheLine = 64, BlockBytes = Rows * 64;

    /// <summary>
    /// The first cache-line boundary from p. The blocks live on the stack, which is only 16-byte aligned:
    /// where a process's stack put them across cache lines, every register stored and loaded back split
    /// in two, and 10-class batches ran at 0.47 elements/ns instead of 0.75 (Zen 4, by process).
    /// </summary>
    public static unsafe byte* Aligned(byte* p) => (byte*)(((nuint)p + CacheLine - 1) & ~(nuint)(CacheLine - 1));

    /// <summary>16 registers: 16 rows, or 16 classes of 16 rows once transposed.</summary>
    [InlineArray(Rows)]
    public struct Block
    {
        private Vector512<float> _row;
    }
}
