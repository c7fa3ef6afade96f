using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastSoftmax.Kernels;

/// <summary>The buffers and options of one cross-entropy call (validated by the entry point).</summary>
internal unsafe struct CrossEntropyArgs<T>
    where T : unmanaged
{
    public T* Logits;
    public int* Labels;         // hard labels, or null
    public T* Targets;          // soft targets [rows x classes], or null
    public T* Weights;          // class weights, or null for all 1
    public T* Gradient;         // dloss/dlogits, or null for the loss alone
    public T* Losses;           // per-row losses (reduction none), or null
    public double* LossSum;     // Σ of the rows' losses, in double
    public int Rows;
    public int Classes;
    public int IgnoreIndex;
    public double Smoothing;    // ε
    public double WeightTotal;  // Σ_c w_c (C without weights)
    public double GradientScale; // 1/denominator for mean, 1 for sum and none
}

/// <summary>
/// Per row: z_max; the smoothing or soft-target dot products (before the gradient may overwrite z);
/// e = exp(z − z_max) stored into the gradient while summed exactly; the loss from L = log Σe; then
/// g = f·(K·e/s − w ⊙ u), with u the target distribution (one-hot, smoothed, or soft).
/// </summary>
internal readonly struct CrossEntropyKernel<T> : IWidthKernel<CrossEntropyArgs<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Hard-label rows up to this many classes run <see cref="ShortRows"/>, a register of rows at a time.</summary>
    public const int MaxShortClasses = 16;

    // Its own method per width: the passes inline into it with the JIT's full budget. Fully optimized
    // from its first call, as EachRow.Rows: at tier 0 nothing inlines, and a console loop of 4 rows of
    // 32,064 classes ran calls 11-400 at 220-260 µs each against 32-36 µs (tiered compilation off).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run<TS, TVec>(in CrossEntropyArgs<T> a)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        double lossHi = 0, lossLo = 0;
        if (a.Classes <= MaxShortClasses && a.Targets == null)
        {
            AllShortRows<TS, TVec>(in a, ref lossHi, ref lossLo);
        }
        else
        {
            for (int r = 0; r < a.Rows; r++)
            {
                int label = a.Labels == null ? -1 : a.Labels[r];
                double loss = a.Labels != null && label == a.IgnoreIndex ? IgnoredRow(in a, r) : Row<TS, TVec>(in a, r, label);
                Finish(in a, r, loss, ref lossHi, ref lossLo);
            }
        }

        *a.LossSum = double.IsFinite(lossHi) ? lossHi + lossLo : lossHi; // lo is NaN once an infinite loss went through TwoSum
    }

    // Out of Run: its stack buffers there cost the general rows' loop a fifth of its speed (measured).
    // Not zeroed (4 KB, 13 % of a one-row call): the lanes past the last row are made harmless by the
    // labels' lanes, which are written up to TailLanes, and nothing reads their results.
    // Fully optimized from the first call, as ShortRows and RowTerms: with the tiered JIT the steady
    // speed of 65,536 x 10 depended on the process (1.0 or 1.55 ms a call in three launches of one
    // BenchmarkDotNet run, the slow one where its pilot calls ran long in tier-0 code).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static unsafe void AllShortRows<TS, TVec>(in CrossEntropyArgs<T> a, ref double lossHi, ref double lossLo)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        // Both on cache lines, as SoftmaxBlocks' blocks (see SoftmaxBlocks.Aligned): the stack gives 16 bytes.
        int tailBytes = (int)TailField.Count * TailLanes(TS.Count) * sizeof(double);
        // Values, exps, the per-row lanes, and room for the labels' lanes up to TailLanes, InDouble's
        // over-reads and InLanes' over-writes.
        int scratchBytes = ((((2 * MaxShortClasses) + (int)LaneField.Count) * TS.Count) + (2 * Vector<float>.Count)) * sizeof(T);
        byte* buffer = stackalloc byte[tailBytes + scratchBytes + 64];
        double* tail = (double*)SoftmaxBlocks.Aligned(buffer);
        T* scratch = (T*)((byte*)tail + tailBytes);
        Vector<double> sumHi = default, sumLo = default;
        bool floatBlocks = typeof(TS) == typeof(Simd512<float>) && a.Classes >= 2 && a.Smoothing == 0;
        for (int first = 0; first < a.Rows; first += TS.Count)
        {
            int count = Math.Min(TS.Count, a.Rows - first);
            if (!(floatBlocks && count == TS.Count && FloatBlock(in a, first, (SoftmaxBlocks.Block*)scratch, tail, ref sumHi, ref sumLo)))
            {
                ShortRows<TS, TVec>(in a, first, count, scratch, tail, ref sumHi, ref sumLo, ref lossHi, ref lossLo);
            }
        }

        for (int lane = 0; lane < Vector<double>.Count; lane++)
        {
            ExactArithmetic.Accumulate(ref lossHi, ref lossLo, sumHi[lane]);
            lossLo += sumLo[lane];
        }
    }

    private static unsafe double IgnoredRow(in CrossEntropyArgs<T> a, int r)
    {
        if (a.Gradient != null)
        {
            new Span<T>(a.Gradient + ((nint)r * a.Classes), a.Classes).Clear();
        }

        return 0;
    }

    /// <summary>Stores a row's loss where asked and adds it to the call's sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finish(in CrossEntropyArgs<T> a, int r, double loss, ref double lossHi, ref double lossLo)
    {
        if (a.Losses != null)
        {
            a.Losses[r] = T.CreateTruncating(loss);
        }

        ExactArithmetic.Accumulate(ref lossHi, ref lossLo, loss);
    }

    /// <summary>One row of any length and any options, pass by pass; returns its loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe double Row<TS, TVec>(in CrossEntropyArgs<T> a, int r, int label)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        nuint n = (nuint)a.Classes;
        nint offset = (nint)r * a.Classes;
        ref T z = ref *(a.Logits + offset);
        T max = RowPasses.Max<TS, TVec, T>(ref z, n);
        if (!T.IsFinite(max))
        {
            return SpecialRow(in a, r, label);
        }

        double eps = a.Smoothing, share = eps / a.Classes;
        ref T t = ref a.Targets == null ? ref Unsafe.NullRef<T>() : ref *(a.Targets + offset);
        ref T w = ref a.Weights == null ? ref Unsafe.NullRef<T>() : ref *a.Weights;
        bool soft = a.Targets != null;

        // S = Σ w·u and D = Σ w·u·(z − max), u = (1 − ε)·t + ε/C (soft) or 1 (hard, smoothing).
        double weightedMass = soft ? 0 : a.WeightTotal, weightedDifference = 0;
        if (soft || eps > 0)
        {
            (weightedMass, weightedDifference) = WeightedDifferenceSums<TS, TVec>(ref z, ref t, ref w, n, max, soft, a.Weights != null, 1 - eps, share);
            weightedMass = soft ? weightedMass : a.WeightTotal;
        }

        // Read before the exp pass, which may overwrite z with the gradient.
        T labelLogit = soft ? T.Zero : Unsafe.Add(ref z, label);
        ref T g = ref a.Gradient == null ? ref Unsafe.NullRef<T>() : ref *(a.Gradient + offset);
        nuint nextRow = r + 1 < a.Rows ? n : 0;
        (double hi, double lo) = a.Gradient == null
            ? ExactSum<TS, TVec>(ref z, ref z, n, max, store: false, nextRow)
            : ExactSum<TS, TVec>(ref z, ref g, n, max, store: true, nextRow);
        var sums = new RowSums(hi, lo, max, weightedMass, weightedDifference);
        double loss = Loss(in a, in sums, labelLogit, label);
        if (a.Gradient != null)
        {
            (double scale, double labelTerm) = GradientTerms(in a, in sums, label, soft ? 0 : double.CreateTruncating(Unsafe.Add(ref g, label)));
            GradientPass<TS, TVec>(ref g, ref t, ref w, n, T.CreateTruncating(scale), T.CreateTruncating(a.GradientScale * (1 - eps)), T.CreateTruncating(a.GradientScale * share), soft, a.Weights != null);
            if (!soft)
            {
                Unsafe.Add(ref g, label) = T.CreateTruncating(labelTerm);
            }
        }

        return loss;
    }

    /// <summary>
    /// Hard-label rows of at most <see cref="MaxShortClasses"/> classes, TS.Count rows at a time:
    /// transposed into scratch (class j of every row in one register), so max, exp and the sums run
    /// down the registers, one lane per row, instead of across one register per row, whose reductions
    /// and log sit on one long chain. Then each row's loss and gradient from <see cref="RowTerms"/>, a
    /// vector of rows at a time, as <see cref="Row"/> takes them one row at a time. No lane depends on another, so a row
    /// gets the same bits in any block and alone. Lanes past the last row hold what the scratch held
    /// (anything: it is not zeroed); their rows count as ignored, and nothing reads their results.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // its own inlining budget: Run's is spent on the general row
    private static unsafe void ShortRows<TS, TVec>(in CrossEntropyArgs<T> a, int first, int count, T* scratch, double* tail, ref Vector<double> sumHi, ref Vector<double> sumLo, ref double lossHi, ref double lossLo)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        int lanes = TS.Count, classes = a.Classes;
        T* values = scratch, exps = scratch + (MaxShortClasses * lanes);

        // A whole block of rows on AVX-512 transposes in registers (inserts, lane shuffles and vpermt2ps; vshuff64x2 for double): element by
        // element, the transposes in and out were 40 % of this method's samples (perf, float 4,096 x 10)
        // and a fifth of double's (1,438 x 10).
        bool registerTranspose = (typeof(TS) == typeof(Simd512<float>) || typeof(TS) == typeof(Simd512<double>)) && count == lanes && classes >= 2;
        if (registerTranspose && typeof(T) == typeof(float))
        {
            SoftmaxBlocks.LoadTransposed(ref *(float*)(a.Logits + ((nint)first * classes)), classes, ref *(SoftmaxBlocks.Block*)values);
        }
        else if (registerTranspose)
        {
            SoftmaxBlocks.LoadTransposed(ref *(double*)(a.Logits + ((nint)first * classes)), classes, ref *(double*)values);
        }
        else
        {
            for (int lane = 0; lane < count; lane++)
            {
                T* z = a.Logits + ((nint)(first + lane) * classes), end = z + classes;
                for (T* v = values + lane; z < end; z++, v += lanes)
                {
                    *v = *z;
                }
            }
        }

        TVec max = TS.Load(ref *values, 0);
        for (int j = 1; j < classes; j++)
        {
            max = TS.Max(max, TS.Load(ref *values, (nuint)(j * lanes)));
        }

        TVec negatedMax = TS.Subtract(default, max), one = TS.Create(T.One);
        TVec atMax = default, rest = default, restError = default, difference = default, differenceError = default;
        bool smoothing = a.Smoothing > 0, weighted = a.Weights != null;

        // Each row's label as a lane of T, −1 for a row without a loss here (ignored, or past the last),
        // so that the label's logit, exp and weight are picked up, and its gradient entry put down, in
        // the registers as the classes go by (lane by lane, that was a quarter of this method's time).
        T* labelLanes = Lanes(exps, lanes, LaneField.Label);
        for (int lane = 0; lane < TailLanes(lanes); lane++)
        {
            int label = lane < count ? a.Labels[first + lane] : a.IgnoreIndex;
            labelLanes[lane] = label == a.IgnoreIndex ? -T.One : T.CreateTruncating(label);
        }

        TVec labels = TS.Load(ref *labelLanes, 0), classIndex = default;
        TVec labelLogit = default, labelExp = default, labelWeight = one;
        for (int j = 0; j < classes; j++)
        {
            TVec v = TS.Load(ref *values, (nuint)(j * lanes));
            TVec e = ClassTerms<TS, TVec, T>(v, max, negatedMax, TS.Equal(labels, classIndex), a.Weights, j, ref atMax, ref rest, ref restError, ref labelLogit, ref labelExp, ref labelWeight);
            TS.Store(e, ref *exps, (nuint)(j * lanes));
            classIndex = TS.Add(classIndex, one);
            if (smoothing)
            {
                TVec d = TS.Add(v, negatedMax);
                if (weighted)
                {
                    TVec w = TS.Create(a.Weights[j]);
                    d = TS.ZeroWhereZero(TS.Multiply(w, d), w);
                }

                RowPasses.AddCompensated<TS, TVec, T>(ref difference, ref differenceError, d);
            }
        }

        TS.Store(max, ref *Lanes(exps, lanes, LaneField.Max), 0);
        TS.Store(atMax, ref *Lanes(exps, lanes, LaneField.AtMax), 0);
        TS.Store(rest, ref *Lanes(exps, lanes, LaneField.Rest), 0);
        TS.Store(restError, ref *Lanes(exps, lanes, LaneField.RestError), 0);
        TS.Store(difference, ref *Lanes(exps, lanes, LaneField.Difference), 0);
        TS.Store(differenceError, ref *Lanes(exps, lanes, LaneField.DifferenceError), 0);
        TS.Store(labelLogit, ref *Lanes(exps, lanes, LaneField.LabelLogit), 0);
        TS.Store(labelExp, ref *Lanes(exps, lanes, LaneField.LabelExp), 0);
        TS.Store(labelWeight, ref *Lanes(exps, lanes, LaneField.LabelWeight), 0);

        // Each row's loss and gradient terms in double, a vector of rows at a time. Rows without a loss
        // here (ignored, past the last, or a max that is not finite: SpecialRow's, below) get harmless
        // inputs: finite, no division by zero, a loss of exactly 0.
        double* t = tail;
        int stride = TailLanes(lanes), used = TailLanes(count);
        for (int lane = 0; lane < used; lane += Vector<double>.Count)
        {
            // Σe = k + rest as hi + lo, exact enough that hi + lo − 1 keeps its relative accuracy.
            Vector<double> k = InDouble(Lanes(exps, lanes, LaneField.AtMax) + lane), others = InDouble(Lanes(exps, lanes, LaneField.Rest) + lane), hi = k + others;
            Vector<double> bVirtual = hi - k;
            Vector<double> lo = ((k - (hi - bVirtual)) + (others - bVirtual)) + InDouble(Lanes(exps, lanes, LaneField.RestError) + lane);
            Vector<double> rowMax = InDouble(Lanes(exps, lanes, LaneField.Max) + lane);
            Vector<long> skip = Vector.LessThan(InDouble(labelLanes + lane), Vector<double>.Zero) | ~Vector.Equals(rowMax - rowMax, Vector<double>.Zero);
            Store(Vector.ConditionalSelect(skip, Vector<double>.One, hi), t + lane, stride, TailField.Hi);
            Store(Vector.ConditionalSelect(skip, Vector<double>.Zero, lo), t + lane, stride, TailField.Lo);
            Store(Vector.ConditionalSelect(skip, Vector<double>.Zero, rowMax), t + lane, stride, TailField.Max);
            Store(Vector.ConditionalSelect(skip, Vector<double>.Zero, InDouble(Lanes(exps, lanes, LaneField.LabelLogit) + lane)), t + lane, stride, TailField.LabelLogit);
            Store(Vector.ConditionalSelect(skip, Vector<double>.One, InDouble(Lanes(exps, lanes, LaneField.LabelExp) + lane)), t + lane, stride, TailField.LabelExp);
            Store(Vector.ConditionalSelect(skip, Vector<double>.Zero, InDouble(Lanes(exps, lanes, LaneField.LabelWeight) + lane)), t + lane, stride, TailField.LabelWeight);
            Vector<double> rowDifference = InDouble(Lanes(exps, lanes, LaneField.Difference) + lane) + InDouble(Lanes(exps, lanes, LaneField.DifferenceError) + lane);
            Store(Vector.ConditionalSelect(skip, Vector<double>.Zero, rowDifference), t + lane, stride, TailField.Difference);
        }

        RowTerms(in a, t, stride, used);
        AddLosses(t, stride, used, ref sumHi, ref sumLo);
        double* losses = Field(t, stride, TailField.Loss);
        for (int lane = 0; a.Losses != null && lane < count; lane++)
        {
            a.Losses[first + lane] = T.CreateTruncating(losses[lane]);
        }

        bool special = TS.CountLanes(TS.Equal(TS.Subtract(max, max), default)) != lanes;
        if (a.Gradient != null)
        {
            // g = e·scale − w ⊙ (f·ε/C), the label's entry its own term, 0 for ignored rows; down the registers.
            T* scaleLanes = Lanes(exps, lanes, LaneField.Scale), labelTermLanes = Lanes(exps, lanes, LaneField.LabelTerm);
            InLanes(Field(t, stride, TailField.Scale), scaleLanes, used);
            InLanes(Field(t, stride, TailField.LabelTerm), labelTermLanes, used);
            TVec scale = TS.Load(ref *scaleLanes, 0), labelTerm = TS.Load(ref *labelTermLanes, 0), ignored = TS.Equal(labels, TS.Create(-T.One));
            T target = T.CreateTruncating(a.GradientScale * a.Smoothing / classes);
            classIndex = default;
            for (int j = 0; j < classes; j++)
            {
                TVec g = GradientEntry<TS, TVec, T>(TS.Load(ref *exps, (nuint)(j * lanes)), scale, target, a.Weights, j, TS.Equal(labels, classIndex), labelTerm, ignored);
                classIndex = TS.Add(classIndex, one);
                TS.Store(g, ref *exps, (nuint)(j * lanes));
            }

            // All rows at once, unless a special row must still read its logits (the gradient may be them).
            registerTranspose &= !special;
            if (registerTranspose && typeof(T) == typeof(float))
            {
                SoftmaxBlocks.StoreTransposed(ref *(SoftmaxBlocks.Block*)exps, ref *(float*)(a.Gradient + ((nint)first * classes)), classes);
            }
            else if (registerTranspose)
            {
                SoftmaxBlocks.StoreTransposed(ref *(double*)exps, ref *(double*)(a.Gradient + ((nint)first * classes)), classes);
            }
        }

        bool copyOut = a.Gradient != null && !registerTranspose;
        for (int lane = 0; (special || copyOut) && lane < count; lane++)
        {
            int r = first + lane, label = a.Labels[r];
            if (label != a.IgnoreIndex && !T.IsFinite(Lanes(exps, lanes, LaneField.Max)[lane]))
            {
                Finish(in a, r, SpecialRow(in a, r, label), ref lossHi, ref lossLo);
            }
            else if (copyOut)
            {
                T* g = a.Gradient + ((nint)r * classes), end = g + classes;
                for (T* e = exps + lane; g < end; g++, e += lanes)
                {
                    *g = *e;
                }
            }
        }
    }

    /// <summary>
    /// A whole block of 16 float hard-label rows without smoothing on AVX-512: <see cref="ShortRows"/>'
    /// arithmetic lane for lane, and its <see cref="RowTerms"/>, so every row gets the same bits, with
    /// the per-row values kept in registers instead of its fields in memory, the labels loaded as a
    /// vector, and the losses stored as one. False, having written nothing, for a block with a row whose
    /// max is not finite (ShortRows takes it, with its special rows). Float 65,536 x 10 0.69 -> 0.83
    /// elements/ns, 160,000 x 4 0.39 -> 0.51, 40,000 x 16 0.88 -> 1.0 (profile mode).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool FloatBlock(in CrossEntropyArgs<T> a, int first, SoftmaxBlocks.Block* block, double* tail, ref Vector<double> sumHi, ref Vector<double> sumLo)
    {
        int classes = a.Classes;
        ref SoftmaxBlocks.Block m = ref *block;
        SoftmaxBlocks.LoadTransposed(ref *((float*)a.Logits + ((nint)first * classes)), classes, ref m);
        Vector512<float> max = SoftmaxBlocks.MaxOfClasses(ref m, classes);
        if (!Vector512.EqualsAll(max - max, Vector512<float>.Zero))
        {
            return false;
        }

        // As ShortRows' label lanes: the label as a float, −1 for an ignored row.
        Vector512<int> labelIndices = Vector512.Load(a.Labels + first);
        Vector512<float> ignored = Vector512.Equals(labelIndices, Vector512.Create(a.IgnoreIndex)).AsSingle();
        Vector512<float> labels = Vector512.ConditionalSelect(ignored, Vector512.Create(-1f), Vector512.ConvertToSingle(labelIndices));

        Vector512<float> negatedMax = Vector512<float>.Zero - max, one = Vector512<float>.One;
        Vector512<float> atMax = default, rest = default, restError = default, classIndex = default;
        Vector512<float> labelLogit = default, labelExp = default, labelWeight = one;
        float* weights = (float*)a.Weights;
        for (int j = 0; j < classes; j++)
        {
            m[j] = ClassTerms<Simd512<float>, Vector512<float>, float>(m[j], max, negatedMax, Vector512.Equals(labels, classIndex), weights, j, ref atMax, ref rest, ref restError, ref labelLogit, ref labelExp, ref labelWeight);
            classIndex += one;
        }

        // RowTerms at ε = 0, eight rows at a time in registers (its operations in its order, so its bits).
        // The losses go through the tail, for AddLosses' order.
        const int Stride = 16;
        Vector512<double> factor = Vector512.Create(a.GradientScale), oneMinusEps = Vector512.Create(1 - a.Smoothing);
        Vector512<double> weightTotalShare = Vector512.Create(a.Smoothing / a.Classes * a.WeightTotal);
        Vector512<double> scale0 = default, labelTerm0 = default, scale1 = default, labelTerm1 = default;
        for (int half = 0; half < 2; half++)
        {
            bool upper = half == 1;
            Vector512<double> k = SoftmaxBlocks.Widened(atMax, upper), others = SoftmaxBlocks.Widened(rest, upper), hi = k + others, bVirtual = hi - k;
            Vector512<double> lo = ((k - (hi - bVirtual)) + (others - bVirtual)) + SoftmaxBlocks.Widened(restError, upper);
            Vector512<double> skip = Vector512.LessThan(SoftmaxBlocks.Widened(labels, upper), Vector512<double>.Zero);
            hi = Vector512.ConditionalSelect(skip, Vector512<double>.One, hi);
            lo = Vector512.ConditionalSelect(skip, Vector512<double>.Zero, lo);
            Vector512<double> x = Vector512.ConditionalSelect(skip, Vector512<double>.Zero, SoftmaxBlocks.Widened(labelLogit, upper));
            Vector512<double> y = -Vector512.ConditionalSelect(skip, Vector512<double>.Zero, SoftmaxBlocks.Widened(max, upper));
            Vector512<double> e = Vector512.ConditionalSelect(skip, Vector512<double>.One, SoftmaxBlocks.Widened(labelExp, upper));
            Vector512<double> w = Vector512.ConditionalSelect(skip, Vector512<double>.Zero, SoftmaxBlocks.Widened(labelWeight, upper));

            Vector512<double> logSum = LogPositive.Compute(hi) + (lo / hi), sum = hi + lo;
            Vector512<double> d = x + y, dVirtual = d - x;
            Vector512<double> dError = Vector512.ConditionalSelect(Vector512.Equals(d - d, Vector512<double>.Zero), (x - (d - dVirtual)) + (y - dVirtual), Vector512<double>.Zero);
            Vector512<double> loss = Vector512.ConditionalSelect(Vector512.Equals(w, Vector512<double>.Zero), Vector512<double>.Zero, oneMinusEps * w * ((logSum - d) - dError)) + Vector512<double>.Zero;
            loss.Store(Field(tail, Stride, TailField.Loss) + (half * Vector512<double>.Count));
            Vector512<double> labelTerm = -factor * w * (((hi - e) + lo) / sum), scale = factor * ((oneMinusEps * w) + weightTotalShare) / sum;
            (scale0, labelTerm0, scale1, labelTerm1) = upper ? (scale0, labelTerm0, scale, labelTerm) : (scale, labelTerm, scale1, labelTerm1);
        }

        AddLosses(tail, Stride, Stride, ref sumHi, ref sumLo);
        if (a.Losses != null)
        {
            Narrowed(Field(tail, Stride, TailField.Loss)).Store((float*)a.Losses + first);
        }

        if (a.Gradient != null)
        {
            Vector512<float> scale = Vector512.Narrow(scale0, scale1), labelTerm = Vector512.Narrow(labelTerm0, labelTerm1);
            float target = (float)(a.GradientScale * a.Smoothing / classes);
            classIndex = default;
            for (int j = 0; j < classes; j++)
            {
                m[j] = GradientEntry<Simd512<float>, Vector512<float>, float>(m[j], scale, target, weights, j, Vector512.Equals(labels, classIndex), labelTerm, ignored);
                classIndex += one;
            }

            SoftmaxBlocks.StoreTransposed(ref m, ref *((float*)a.Gradient + ((nint)first * classes)), classes);
        }

        return true;
    }

    /// <summary>
    /// One class of a register of short rows: its exp (returned), the count of lanes at the max, the
    /// compensated sum of the other exps, and the label's logit, exp and weight picked up where the class
    /// is the row's label. ShortRows and FloatBlock both take it, so a row gets the same bits in either.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVec ClassTerms<TS, TVec, TE>(TVec v, TVec max, TVec negatedMax, TVec isLabel, TE* weights, int j, ref TVec atMax, ref TVec rest, ref TVec restError, ref TVec labelLogit, ref TVec labelExp, ref TVec labelWeight)
        where TS : ISimd<TVec, TE>
        where TVec : struct
        where TE : unmanaged, IBinaryFloatingPointIeee754<TE>
    {
        TVec one = TS.Create(TE.One);
        TVec e = RowPasses.ExpOfScaledDifference<TS, TVec, TE>(v, negatedMax, one, scaled: false);
        TVec isMax = TS.Equal(v, max);
        atMax = TS.Add(atMax, TS.KeepLanes(one, isMax));
        RowPasses.AddCompensated<TS, TVec, TE>(ref rest, ref restError, TS.ZeroLanes(e, isMax), nonNegative: true);
        labelLogit = TS.Select(isLabel, v, labelLogit);
        labelExp = TS.Select(isLabel, e, labelExp);
        if (weights != null)
        {
            labelWeight = TS.Select(isLabel, TS.Create(weights[j]), labelWeight);
        }

        return e;
    }

    /// <summary>
    /// One class's gradient entries, g = e·scale − w_j·target, the label's entry its own term and 0 for
    /// ignored rows: ShortRows' and FloatBlock's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVec GradientEntry<TS, TVec, TE>(TVec e, TVec scale, TE target, TE* weights, int j, TVec isLabel, TVec labelTerm, TVec ignored)
        where TS : ISimd<TVec, TE>
        where TVec : struct
        where TE : unmanaged, IBinaryFloatingPointIeee754<TE>
    {
        TVec g = TS.Subtract(TS.Multiply(e, scale), TS.Create(weights != null ? weights[j] * target : target));
        return TS.ZeroLanes(TS.Select(isLabel, labelTerm, g), ignored);
    }

    /// <summary>16 doubles at p rounded to float, as InLanes rounds them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Narrowed(double* p) =>
        Vector512.Narrow(Vector512.Load(p), Vector512.Load(p + Vector512<double>.Count));

    /// <summary>
    /// The call's loss sum, TwoSum lane by lane across the blocks (AllShortRows adds the lanes up); in a
    /// loop of its own, with no call to keep the sums on the stack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddLosses(double* t, int stride, int used, ref Vector<double> sumHi, ref Vector<double> sumLo)
    {
        Vector<double> hiSum = sumHi, loSum = sumLo;
        for (int lane = 0; lane < used; lane += Vector<double>.Count)
        {
            Vector<double> loss = Load(t + lane, stride, TailField.Loss), sum = hiSum + loss, lossVirtual = sum - hiSum;
            loSum += (hiSum - (sum - lossVirtual)) + (loss - lossVirtual);
            hiSum = sum;
        }

        (sumHi, sumLo) = (hiSum, loSum);
    }

    /// <summary>The per-row values of a block of short rows in T, each a run of TS.Count lanes after the exps.</summary>
    private enum LaneField
    {
        Max,
        AtMax,
        Rest,
        RestError,
        Difference,
        DifferenceError,
        LabelLogit,
        LabelExp,
        LabelWeight,
        Scale,
        LabelTerm,
        Label, // last: its lanes run on to the tail's lanes, into the padding
        Count,
    }

    private static unsafe T* Lanes(T* exps, int lanes, LaneField field) => exps + ((MaxShortClasses + (int)field) * lanes);

    /// <summary>
    /// n doubles (a multiple of Vector&lt;double&gt;.Count) into T; for float it writes up to
    /// Vector&lt;double&gt;.Count lanes past them.
    /// </summary>
    private static unsafe void InLanes(double* source, T* destination, int n)
    {
        for (int i = 0; i < n; i += Vector<double>.Count)
        {
            if (typeof(T) == typeof(double))
            {
                Vector.Store(Vector.Load(source + i), (double*)destination + i);
            }
            else
            {
                Vector.Store(Vector.Narrow(Vector.Load(source + i), Vector<double>.Zero), (float*)destination + i);
            }
        }
    }

    /// <summary>The per-row fields of the short rows' tail, each a run of <see cref="TailLanes"/> doubles.</summary>
    private enum TailField
    {
        Hi,
        Lo,
        Max,
        LabelLogit,
        LabelExp,
        LabelWeight,
        Difference,
        Loss,
        Scale,
        LabelTerm,
        Count,
    }

    /// <summary>Lanes of the tail: a register of rows, rounded up to whole Vector&lt;double&gt;s.</summary>
    private static int TailLanes(int lanes) => (lanes + Vector<double>.Count - 1) / Vector<double>.Count * Vector<double>.Count;

    private static unsafe double* Field(double* tail, int stride, TailField field) => tail + ((int)field * stride);

    /// <summary>
    /// <see cref="Loss"/> and <see cref="GradientTerms"/> for hard labels on the first
    /// <paramref name="used"/> lanes of the tail, a Vector&lt;double&gt; of rows at a time, operation for operation, so each lane gets the bits those formulas give its row. Two
    /// forms of one formula: one row at a time, the vector form measured 15 % slower on rows of 40
    /// and 1,000 classes (its log and divisions no longer overlap the gradient pass); for a register
    /// of short rows it is 1.3x faster in float. One difference for double: the log here is
    /// <see cref="LogPositive"/>'s (within an ulp, as Math.Log, whose calls lane by lane were 11 % of
    /// double's 10-class rows), where <see cref="Loss"/> takes Math.Log; no row goes through both.
    /// </summary>
    // FloatBlock holds this at ε = 0 on Vector512, operation for operation: a change here goes there too
    // (the short-row tests compare the two paths bit for bit).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)] // its own inlining budget
    private static unsafe void RowTerms(in CrossEntropyArgs<T> a, double* tail, int stride, int used)
    {
        double eps = a.Smoothing, share = eps / a.Classes, f = a.GradientScale;
        var oneMinusEps = new Vector<double>(1 - eps);
        var smoothingShare = new Vector<double>(share);
        var weightTotal = new Vector<double>(a.WeightTotal);
        var labelScale = new Vector<double>((1 - eps) + share);
        var weightTotalShare = new Vector<double>(share * a.WeightTotal);
        var factor = new Vector<double>(f);
        for (double* t = tail; t < tail + used; t += Vector<double>.Count)
        {
            Vector<double> hi = Load(t, stride, TailField.Hi), lo = Load(t, stride, TailField.Lo);
            Vector<double> logSum = LogPositive.Compute(hi) + (lo / hi), s = hi + lo;

            // z_y − max as a double-double (exact in double alone for float); its error 0 where it is infinite.
            Vector<double> x = Load(t, stride, TailField.LabelLogit), y = -Load(t, stride, TailField.Max);
            Vector<double> d = x + y, bVirtual = d - x;
            Vector<double> dError = Vector.ConditionalSelect(Vector.Equals(d - d, Vector<double>.Zero), (x - (d - bVirtual)) + (y - bVirtual), Vector<double>.Zero);

            Vector<double> labelWeight = Load(t, stride, TailField.LabelWeight), labelExp = Load(t, stride, TailField.LabelExp);
            Vector<double> labelPart = eps == 1
                ? Vector<double>.Zero
                : Vector.ConditionalSelect(Vector.Equals(labelWeight, Vector<double>.Zero), Vector<double>.Zero, oneMinusEps * labelWeight * ((logSum - d) - dError));
            Vector<double> smoothingPart = eps > 0
                ? smoothingShare * ((weightTotal * logSum) - Load(t, stride, TailField.Difference))
                : Vector<double>.Zero;
            Store(labelPart + smoothingPart, t, stride, TailField.Loss);

            Vector<double> k = (oneMinusEps * labelWeight) + weightTotalShare;
            Vector<double> c1 = labelScale * labelWeight;
            Vector<double> labelTerm = eps == 0
                ? -factor * labelWeight * (((hi - labelExp) + lo) / s)
                : factor * (((k * labelExp) - (c1 * hi)) - (c1 * lo)) / s;
            Store(labelTerm, t, stride, TailField.LabelTerm);
            Store(factor * k / s, t, stride, TailField.Scale);
        }
    }

    private static unsafe Vector<double> Load(double* t, int stride, TailField field) =>
        Vector.Load(Field(t, stride, field));

    private static unsafe void Store(Vector<double> value, double* t, int stride, TailField field) =>
        Vector.Store(value, Field(t, stride, field));

    /// <summary>Vector&lt;double&gt;.Count lanes of T at p, in double (for float, reads as many again past them).</summary>
    private static unsafe Vector<double> InDouble(T* p)
    {
        if (typeof(T) == typeof(double))
        {
            return Vector.Load((double*)p);
        }

        Vector.Widen(Vector.Load((float*)p), out Vector<double> low, out _);
        return low;
    }

    /// <summary>What a row's loss and gradient are made of: Σe = Hi + Lo, the max, S = Σ w·u and D = Σ w·u·(z − max).</summary>
    private readonly record struct RowSums(double Hi, double Lo, T Max, double WeightedMass, double WeightedDifference);

    /// <summary>
    /// The row's loss: S·log Σe − D for soft targets; for a label y,
    /// (1 − ε)·w_y·(log Σe − (z_y − max)) + (ε/C)·(W·log Σe − D). Every term is ≥ 0, so nothing cancels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe double Loss(in CrossEntropyArgs<T> a, in RowSums sums, T labelLogit, int label)
    {
        double eps = a.Smoothing, share = eps / a.Classes;
        double logSum = LogOfSum.Log<T>(sums.Hi) + (sums.Lo / sums.Hi);
        if (a.Targets != null)
        {
            return (sums.WeightedMass * logSum) - sums.WeightedDifference;
        }

        (double labelDifference, double labelDifferenceLo) = Difference(labelLogit, sums.Max);
        double labelWeight = LabelWeight(in a, label);
        return (labelWeight == 0 || eps == 1 ? 0 : (1 - eps) * labelWeight * ((logSum - labelDifference) - labelDifferenceLo))
            + (eps > 0 ? share * ((a.WeightTotal * logSum) - sums.WeightedDifference) : 0);
    }

    /// <summary>
    /// g = f·(K·e/Σe − w ⊙ u): the factor f·K/Σe for every entry, and for a label y the entry g_y
    /// formed as f·(K·e_y − c1·Σe)/Σe so that 1 − p_y keeps its digits when p_y ≈ 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (double Scale, double LabelTerm) GradientTerms(in CrossEntropyArgs<T> a, in RowSums sums, int label, double labelExp)
    {
        double eps = a.Smoothing, share = eps / a.Classes, f = a.GradientScale;
        double s = sums.Hi + sums.Lo;
        if (a.Targets != null)
        {
            return (f * sums.WeightedMass / s, 0);
        }

        double labelWeight = LabelWeight(in a, label);
        double k = ((1 - eps) * labelWeight) + (share * a.WeightTotal);
        double c1 = ((1 - eps) + share) * labelWeight;
        double labelTerm = eps == 0
            ? -f * labelWeight * (((sums.Hi - labelExp) + sums.Lo) / s)
            : f * (((k * labelExp) - (c1 * sums.Hi)) - (c1 * sums.Lo)) / s;
        return (f * k / s, labelTerm);
    }

    private static unsafe double LabelWeight(in CrossEntropyArgs<T> a, int label) =>
        a.Weights == null ? 1 : double.CreateTruncating(a.Weights[label]);

    /// <summary>(a − b) exactly as a double-double (exact in double alone for float); lo = 0 where a − b is infinite.</summary>
    private static (double Hi, double Lo) Difference(T a, T b)
    {
        double x = double.CreateTruncating(a), y = -double.CreateTruncating(b);
        double d = x + y;
        return (d, double.IsFinite(d) ? ExactArithmetic.SumError<SimdScalar<double>, double, double>(x, y, d) : 0);
    }

    /// <summary>
    /// The row's exps (into destination where <paramref name="store"/>) and their exact sum, out of
    /// line: inlined twice into the row loop, the sum pass left it short of registers. Fully optimized
    /// from its first call: as a tier-0 method it ran the rows 3.5x slower until the tiered JIT got to
    /// it, in one BenchmarkDotNet process not before the seventh measured iteration of 4,096 x 1,000.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (double Hi, double Lo) ExactSum<TS, TVec>(ref T z, ref T destination, nuint n, T max, bool store, nuint nextRow)
        where TS : ISimd<TVec, T>
        where TVec : struct =>
        RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref z, ref destination, n, max, T.One, store, exact: true, nextRow);

    /// <summary>Σ w·u and Σ w·u·(z − max), each compensated; a zero weight·target counts 0 even where z = −∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Mass, double Difference) WeightedDifferenceSums<TS, TVec>(ref T z, ref T t, ref T w, nuint n, T max, bool soft, bool weighted, double alpha, double beta)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        nuint c = (nuint)TS.Count;
        TVec negMax = TS.Create(-max), a = TS.Create(T.CreateTruncating(alpha)), b = TS.Create(T.CreateTruncating(beta));
        TVec ms = default, mc = default, ds = default, dc = default;
        nuint i = 0;
        for (; i + c <= n; i += c)
        {
            TVec mass = TargetMass<TS, TVec>(ref t, ref w, i, a, b, soft, weighted);
            RowPasses.AddCompensated<TS, TVec, T>(ref ms, ref mc, mass);
            RowPasses.AddCompensated<TS, TVec, T>(ref ds, ref dc, TS.ZeroWhereZero(TS.Multiply(mass, TS.Add(TS.Load(ref z, i), negMax)), mass));
        }

        if (i < n)
        {
            TVec mass = TS.ZeroLanesBelow(TargetMass<TS, TVec>(ref t, ref w, n - c, a, b, soft, weighted), (int)(c - (n - i)));
            RowPasses.AddCompensated<TS, TVec, T>(ref ms, ref mc, mass);
            RowPasses.AddCompensated<TS, TVec, T>(ref ds, ref dc, TS.ZeroWhereZero(TS.Multiply(mass, TS.Add(TS.Load(ref z, n - c), negMax)), mass));
        }

        (double mHi, double mLo) = TS.SumAcrossExact(ms, mc);
        (double dHi, double dLo) = TS.SumAcrossExact(ds, dc);
        return (mHi + mLo, dHi + dLo);
    }

    /// <summary>w ⊙ (α·t + β) for soft targets, w for hard labels (1 where unweighted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec TargetMass<TS, TVec>(ref T t, ref T w, nuint at, TVec alpha, TVec beta, bool soft, bool weighted)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        TVec u = soft ? TS.MultiplyAdd(TS.Load(ref t, at), alpha, beta) : TS.Create(T.One);
        return weighted ? TS.Multiply(TS.Load(ref w, at), u) : u;
    }

    /// <summary>g = e·scale − w ⊙ (fα·t + fβ), in place over e; t and w are read only when present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientPass<TS, TVec>(ref T g, ref T t, ref T w, nuint n, T scale, T fAlpha, T fBeta, bool soft, bool weighted)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        nuint c = (nuint)TS.Count;
        TVec sv = TS.Create(scale), av = TS.Create(fAlpha), bv = TS.Create(fBeta);
        TVec last = TS.Load(ref g, n - c);
        nuint i = 0;
        for (; i + c <= n; i += c)
        {
            TVec target = soft ? TS.MultiplyAdd(TS.Load(ref t, i), av, bv) : bv;
            target = weighted ? TS.Multiply(TS.Load(ref w, i), target) : target;
            TS.Store(TS.Subtract(TS.Multiply(TS.Load(ref g, i), sv), target), ref g, i);
        }

        if (i < n)
        {
            TVec target = soft ? TS.MultiplyAdd(TS.Load(ref t, n - c), av, bv) : bv;
            target = weighted ? TS.Multiply(TS.Load(ref w, n - c), target) : target;
            TS.Store(TS.Subtract(TS.Multiply(last, sv), target), ref g, n - c);
        }
    }

    /// <summary>
    /// A row whose max is not finite: NaN anywhere gives NaN; otherwise p and log p are the limits of
    /// the special rows of softmax (1/k and −log k at the k entries of +∞; 0 and −∞ elsewhere, also
    /// when every entry is −∞), and 0·(−∞) counts as 0.
    /// </summary>
    private static unsafe double SpecialRow(in CrossEntropyArgs<T> a, int r, int label)
    {
        nint offset = (nint)r * a.Classes;
        T* z = a.Logits + offset;
        bool nan = false;
        int k = 0;
        for (int j = 0; j < a.Classes; j++)
        {
            nan |= T.IsNaN(z[j]);
            k += T.IsPositiveInfinity(z[j]) ? 1 : 0;
        }

        double eps = a.Smoothing, share = eps / a.Classes;
        double labelWeight = a.Labels == null ? 0 : (a.Weights == null ? 1 : double.CreateTruncating(a.Weights[label]));
        double loss = 0, mass = 0;
        for (int j = 0; j < a.Classes; j++)
        {
            double w = a.Weights == null ? 1 : double.CreateTruncating(a.Weights[j]);
            double u = a.Targets != null
                ? ((1 - eps) * double.CreateTruncating(a.Targets[offset + j])) + share
                : (j == label ? 1 - eps : 0) + share;
            double logP = T.IsPositiveInfinity(z[j]) ? -Math.Log(k) : double.NegativeInfinity;
            loss -= w * u == 0 ? 0 : w * u * logP;
            mass += a.Targets != null ? w * u : 0;
        }

        double kTotal = a.Targets != null ? mass : ((1 - eps) * labelWeight) + (share * a.WeightTotal);
        if (a.Gradient != null)
        {
            for (int j = 0; j < a.Classes; j++)
            {
                double w = a.Weights == null ? 1 : double.CreateTruncating(a.Weights[j]);
                double u = a.Targets != null
                    ? ((1 - eps) * double.CreateTruncating(a.Targets[offset + j])) + share
                    : (j == label ? 1 - eps : 0) + share;
                double p = k > 0 && T.IsPositiveInfinity(z[j]) ? 1.0 / k : 0;
                a.Gradient[offset + j] = nan ? T.NaN : T.CreateTruncating(a.GradientScale * ((kTotal * p) - (w * u)));
            }
        }

        return nan ? double.NaN : loss;
    }
}
