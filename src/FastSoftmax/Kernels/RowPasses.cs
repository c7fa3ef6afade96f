using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>
/// The passes over one row of n ≥ <c>TS.Count</c> elements that softmax, log-softmax and
/// log-sum-exp are made of. No validation: the public entry points have done it. Every pass ends
/// with one register that overlaps the previous one instead of a scalar tail; it is loaded before
/// anything is stored, so the pass is correct in place.
/// </summary>
internal static class RowPasses
{
    /// <summary>1 + 2^-20: from this sum on, a float log Σ needs no exact fold (<see cref="ExpSubtractMaxSum{TS,TVec,T}(ref T, ref T, nuint, T, T, bool, bool, nuint, bool, bool, bool, bool)"/>).</summary>
    public const double NearOne = 1 + (1.0 / (1 << 20));

    /// <summary>
    /// Elements before the first one at an address aligned to a register (0 when there is none, for
    /// a <typeparamref name="T"/> off its own alignment). A pass whose result does not depend on
    /// how the elements are grouped in registers starts its loop there: no load or store in the loop
    /// then straddles two cache lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nuint ToAlignment<TS, TVec, T>(ref T p)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint bytes = (nuint)(TS.Count * sizeof(T)), address = (nuint)Unsafe.AsPointer(ref p);
        return address % (nuint)sizeof(T) == 0 ? (bytes - (address % bytes)) % bytes / (nuint)sizeof(T) : 0;
    }

    /// <summary>
    /// max(x): four accumulators, so four max latencies overlap; the loop from x's first
    /// register-aligned element (a max does not depend on the grouping).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<TS, TVec, T>(ref T x, nuint n)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec m0 = TS.Load(ref x, 0), m1 = m0, m2 = m0, m3 = m0;
        nuint i = n >= 8 * c ? ToAlignment<TS, TVec, T>(ref x) : 0;
        for (; i + (4 * c) <= n; i += 4 * c)
        {
            m0 = TS.Max(m0, TS.Load(ref x, i));
            m1 = TS.Max(m1, TS.Load(ref x, i + c));
            m2 = TS.Max(m2, TS.Load(ref x, i + (2 * c)));
            m3 = TS.Max(m3, TS.Load(ref x, i + (3 * c)));
        }

        for (; i + c <= n; i += c)
        {
            m0 = TS.Max(m0, TS.Load(ref x, i));
        }

        if (i < n)
        {
            m1 = TS.Max(m1, TS.Load(ref x, n - c));
        }

        return TS.MaxAcross(TS.Max(TS.Max(m0, m1), TS.Max(m2, m3)));
    }

    /// <summary>
    /// Σ exp(scale·(x[i] − max)) as a double-double; with <paramref name="store"/>, each term is
    /// also written to <paramref name="destination"/>. Two compensated accumulators. With
    /// <paramref name="exact"/>, the lanes are added with TwoSum, so hi + lo − 1 keeps its relative
    /// accuracy however small (log-softmax and log-sum-exp need it; a reciprocal for float does not).
    /// Without it, every lane starts at 1: then s ≥ 1 ≥ e, so Fast2Sum (3 operations instead of
    /// TwoSum's 5 per term) is exact, and the starting ones are taken off at the end; what that costs
    /// is the relative accuracy of Σ − 1, which a reciprocal does not need (a lane at 1 or more
    /// passes every smaller term whole to its compensation, whose own float sum then rounds: a row
    /// of a 1 and 999 terms of e^-30 lost 4-37 ulp of Σ − 1 that way on the narrower widths; an exact
    /// sum below <see cref="NearOne"/>, where that matters, is summed again by <see cref="SumWithoutOnes"/>). With
    /// <paramref name="streaming"/> (and <see cref="ISimd{TVec,T}.HasJoin"/>), the terms go to a pinned
    /// destination aligned to <typeparamref name="T"/> with streaming stores (see the loop); the values
    /// are the same bits either way. With <paramref name="prefetchDestination"/> (and a
    /// <paramref name="prefetchAhead"/>), a pass that stores nothing brings the destination's lines
    /// toward L2 for the pass that writes them next. With <paramref name="exactOnlyNearOne"/> as well as
    /// <paramref name="exact"/>, a float sum skips the exact fold (see <see cref="SumAcross"/>): for a
    /// caller whose float outputs need Σ − 1's relative accuracy only below <see cref="NearOne"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) ExpSubtractMaxSum<TS, TVec, T>(ref T x, ref T destination, nuint n, T max, T scale, bool store, bool exact, nuint prefetchAhead = 0, bool streaming = false, bool addsOnFmaPipes = true, bool prefetchDestination = false, bool exactOnlyNearOne = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Every x at or below floor = max + (cutoff + 3)/scale has exp(scale·(x − max)) = +0. Where
        // the floor comes out that way after its rounding (all but rows with a max near T's precision
        // limit for the scale), clamping x to it keeps scale·(x − max) finite and within exp's range,
        // −∞ included, so neither the difference nor its error needs a clamp of its own: two or three
        // operations fewer a register.
        T floor = max + ((ExpConstants<T>.Cutoff + T.CreateTruncating(3)) / scale);
        double gap = (double.CreateTruncating(floor) - double.CreateTruncating(max)) * double.CreateTruncating(scale);
        (double hi, double lo) = gap >= double.CreateTruncating(ExpConstants<T>.Cutoff) && gap <= double.CreateTruncating(ExpConstants<T>.ZeroBelow)
            ? ExpSubtractMaxSum<TS, TVec, T>(ref x, ref destination, n, max, scale, store, exact, TS.Create(floor), aboveFloor: true, prefetchAhead, streaming, addsOnFmaPipes, prefetchDestination, exactOnlyNearOne)
            : ExpSubtractMaxSumUnbounded<TS, TVec, T>(ref x, ref destination, n, max, scale, store, exact, streaming, exactOnlyNearOne);
        return exact && hi + lo < NearOne ? SumWithoutOnes<TS, TVec, T>(ref store ? ref destination : ref x, n, max, scale, termsStored: store) : (hi, lo);
    }

    /// <summary>
    /// An exact sum below <see cref="NearOne"/> again, for a row its max dominates: in the pass, the lane
    /// that took the max's 1 passed every later term whole to its compensation, whose own float sum
    /// rounds, and here that is most of Σ − 1 (a cross-entropy loss of 3e-9 over 32,000 classes was 6
    /// ulp off, 1.2e-8 over 128,256 17 ulp; the scalar kernel's two lanes, 1e-10 over 1,000, 37 ulp).
    /// Here the terms equal to 1 are counted apart, so that no lane holds a 1 and each compensation
    /// holds rounding errors only; from the terms the pass stored where it stored them (x may be that
    /// destination), else from x again. Rare, so out of line.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double Hi, double Lo) SumWithoutOnes<TS, TVec, T>(ref T source, nuint n, T max, T scale, bool termsStored)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec negatedMax = TS.Create(-max), scaleV = TS.Create(scale), one = TS.Create(T.One);
        bool scaled = scale != T.One;
        TVec s = default, compensation = default;
        int ones = 0;
        for (nuint i = 0; i < n; i += c)
        {
            // The last register overlaps the one before; its lanes already counted are zeroed.
            nuint start = i + c <= n ? i : n - c;
            TVec e = termsStored ? TS.Load(ref source, start) : ExpOfScaledDifference<TS, TVec, T>(TS.Load(ref source, start), negatedMax, scaleV, scaled);
            e = TS.ZeroLanesBelow(e, (int)(i - start));
            TVec isOne = TS.Equal(e, one);
            ones += TS.CountLanes(isOne);
            AddCompensated<TS, TVec, T>(ref s, ref compensation, TS.ZeroLanes(e, isOne), nonNegative: true);
        }

        (double restHi, double restLo) = TS.SumAcrossExact(s, compensation);
        double hi = ones + restHi;
        return (hi, ExactArithmetic.SumError<SimdScalar<double>, double, double>(ones, restHi, hi) + restLo);
    }

    /// <summary>exp(scale·(x − max)) for one register of the sum pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Term<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, bool scaled, TVec floor, bool aboveFloor, bool addsOnFmaPipes)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (TVec r, TVec n) = ReducedTerm<TS, TVec, T>(x, negatedMax, scale, scaled, floor, aboveFloor, addsOnFmaPipes);
        return ExpNonPositive.FromReduced<TS, TVec, T>(r, n);
    }

    /// <summary><see cref="Term"/> up to its exp's reduced argument (r, n): x clamped to the floor where there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVec R, TVec N) ReducedTerm<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, bool scaled, TVec floor, bool aboveFloor, bool addsOnFmaPipes)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        aboveFloor
            ? ReducedExpOfScaledDifference<TS, TVec, T>(TS.Max(floor, x), negatedMax, scale, scaled, bounded: true, addsOnFmaPipes) // operand order keeps a NaN x
            : ReducedExpOfScaledDifference<TS, TVec, T>(x, negatedMax, scale, scaled, bounded: false);

    // The rare rows without a floor, out of line so the common loop keeps the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double Hi, double Lo) ExpSubtractMaxSumUnbounded<TS, TVec, T>(ref T x, ref T destination, nuint n, T max, T scale, bool store, bool exact, bool streaming, bool exactOnlyNearOne)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ExpSubtractMaxSum<TS, TVec, T>(ref x, ref destination, n, max, scale, store, exact, default, aboveFloor: false, prefetchAhead: 0, streaming, addsOnFmaPipes: false, prefetchDestination: false, exactOnlyNearOne);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (double Hi, double Lo) ExpSubtractMaxSum<TS, TVec, T>(ref T x, ref T destination, nuint n, T max, T scale, bool store, bool exact, TVec floor, bool aboveFloor, nuint prefetchAhead, bool streaming, bool addsOnFmaPipes, bool prefetchDestination, bool exactOnlyNearOne)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec negatedMax = TS.Create(-max), scaleV = TS.Create(scale);
        bool scaled = scale != T.One;
        TVec last = TS.Load(ref x, n - c);
        bool fromOne = !exact;
        TVec s0 = fromOne ? TS.Create(T.One) : default, c0 = default, s1 = s0, c1 = default;
        streaming &= store && TS.HasJoin;
        nuint head = streaming ? ToAlignment<TS, TVec, T>(ref destination) : 0; // the destination is aligned to T here
        TVec join = streaming ? TS.JoinIndices((int)head) : default, previous = default;

        // Software-pipelined: each iteration reduces the exp arguments of the pair at j (ReducedTerm)
        // and finishes the exps of the pair at j − 2c (FromReduced, from the last iteration's r and
        // n), so the core's scheduler holds two pairs' independent chains instead of one pair's long
        // one. The first iteration's finished pair (from zeros) is not used: rows of fewer than two
        // pairs, which it would cost up to a tenth (n = 32, 48), go a register at a time below.
        nuint pairs = n >= 4 * c ? n - (n % (2 * c)) : 0, i = 0;
        TVec r0 = default, n0 = default, r1 = default, n1 = default;
        for (nuint j = 0; pairs != 0; j += 2 * c)
        {
            TVec e0 = ExpNonPositive.FromReduced<TS, TVec, T>(r0, n0);
            TVec e1 = ExpNonPositive.FromReduced<TS, TVec, T>(r1, n1);
            if (j < pairs)
            {
                if (prefetchAhead != 0 && Sse.IsSupported)
                {
                    // The next row into L2 while this one computes: its max pass would otherwise wait on memory.
                    Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref x, j + prefetchAhead)));
                    Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref x, j + prefetchAhead + c)));
                    if (prefetchDestination)
                    {
                        Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref destination, j)));
                        Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref destination, j + c)));
                    }
                }

                (r0, n0) = ReducedTerm<TS, TVec, T>(TS.Load(ref x, j), negatedMax, scaleV, scaled, floor, aboveFloor, addsOnFmaPipes);
                (r1, n1) = ReducedTerm<TS, TVec, T>(TS.Load(ref x, j + c), negatedMax, scaleV, scaled, floor, aboveFloor, addsOnFmaPipes);
            }

            if (j == 0)
            {
                continue;
            }

            i = j - (2 * c);
            if (streaming)
            {
                // The aligned registers [i − c + head, i + head) and [i + head, i + c + head), joined
                // from this iteration's terms and the last one's; [0, head) a masked plain store.
                if (i != 0)
                {
                    TS.StoreNonTemporal(TS.Join(previous, e0, join), ref destination, i - c + head);
                }
                else if (head != 0)
                {
                    TS.StoreFirst(e0, ref destination, TS.FirstLanes((int)head));
                }

                TS.StoreNonTemporal(TS.Join(e0, e1, join), ref destination, i + head);
                previous = e1;
            }
            else if (store)
            {
                TS.Store(e0, ref destination, i);
                TS.Store(e1, ref destination, i + c);
            }

            AddCompensated<TS, TVec, T>(ref s0, ref c0, e0, fromOne, nonNegative: true);
            AddCompensated<TS, TVec, T>(ref s1, ref c1, e1, fromOne, nonNegative: true);
            if (j == pairs)
            {
                break;
            }
        }

        i = pairs;
        if (streaming && i != 0)
        {
            TS.Store(previous, ref destination, i - c); // its lanes from head on are not written yet
        }

        for (; i + c <= n; i += c)
        {
            TVec e = Term<TS, TVec, T>(TS.Load(ref x, i), negatedMax, scaleV, scaled, floor, aboveFloor, addsOnFmaPipes);
            if (store)
            {
                TS.Store(e, ref destination, i);
            }

            AddCompensated<TS, TVec, T>(ref s0, ref c0, e, fromOne, nonNegative: true);
        }

        if (i < n)
        {
            TVec e = Term<TS, TVec, T>(last, negatedMax, scaleV, scaled, floor, aboveFloor, addsOnFmaPipes);
            if (store)
            {
                TS.Store(e, ref destination, n - c);
            }

            AddCompensated<TS, TVec, T>(ref s1, ref c1, TS.ZeroLanesBelow(e, (int)(c - (n - i))), fromOne, nonNegative: true);
        }

        TVec s = TS.Add(s0, s1);
        TVec compensation = TS.Add(TS.Add(c0, c1), ExactArithmetic.SumError<TS, TVec, T>(s0, s1, s));
        (double hi, double lo) = SumAcross<TS, TVec, T>(s, compensation, exact, exactOnlyNearOne);
        if (fromOne && typeof(T) == typeof(float))
        {
            // hi − 2c is exact while the sum is at most 2c (Sterbenz) and within half a double ulp
            // beyond: nothing for a float reciprocal. TwoSum here sat on a 100-element row's chain.
            hi -= 2.0 * c;
        }
        else if (fromOne)
        {
            ExactArithmetic.Accumulate(ref hi, ref lo, -2.0 * c);
        }

        return (hi, lo);
    }

    /// <summary>
    /// The lanes of s + compensation as a double-double: exact (TwoSum) where asked (unless
    /// <paramref name="exactOnlyNearOne"/>, for float) and always for double, whose lanes a plain
    /// double sum would round; the fast widened sum otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcross<TS, TVec, T>(TVec s, TVec compensation, bool exact, bool exactOnlyNearOne = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // With exactOnlyNearOne, a float sum is folded plainly in double, within 2^-50 of Σ: from
        // NearOne on that is within 2^-30 of log Σ, far below a float output's ulp, and a sum below it
        // is summed again exactly (SumWithoutOnes).
        exact &= !(exactOnlyNearOne && typeof(T) == typeof(float));
        return exact || typeof(T) == typeof(double)
            ? TS.SumAcrossExact(s, compensation)
            : TS.SumAcross(s, compensation);
    }

    /// <summary>
    /// destination[i] *= factor, the loop from the first register-aligned element; the first and
    /// last registers are loaded before anything is stored and stored after the loop (where they
    /// overlap it, the same values twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale<TS, TVec, T>(ref T destination, nuint n, T factor)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec f = TS.Create(factor);
        TVec first = TS.Load(ref destination, 0), last = TS.Load(ref destination, n - c);
        nuint i = n >= 4 * c ? ToAlignment<TS, TVec, T>(ref destination) : 0;
        for (; i + (2 * c) <= n; i += 2 * c)
        {
            TS.Store(TS.Multiply(TS.Load(ref destination, i), f), ref destination, i);
            TS.Store(TS.Multiply(TS.Load(ref destination, i + c), f), ref destination, i + c);
        }

        if (i + c <= n)
        {
            TS.Store(TS.Multiply(TS.Load(ref destination, i), f), ref destination, i);
            i += c;
        }

        if (i < n)
        {
            TS.Store(TS.Multiply(last, f), ref destination, n - c);
        }

        TS.Store(TS.Multiply(first, f), ref destination, 0);
    }

    /// <summary>
    /// destination[i] = scale·(x[i] − max) − log(sum), log(sum) given as logHi + logLo, so that entries
    /// near 0 keep their relative accuracy. The loop from destination's first register-aligned element,
    /// the first and last registers loaded first and stored last, as in <see cref="Scale{TS,TVec,T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SubtractMaxAndLogSum<TS, TVec, T>(ref T x, ref T destination, nuint n, T max, T scale, T logHi, T logLo)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec negatedMax = TS.Create(-max), scaleV = TS.Create(scale), hiV = TS.Create(-logHi), loV = TS.Create(logLo);
        TVec first = TS.Load(ref x, 0), last = TS.Load(ref x, n - c);
        nuint i = n >= 4 * c ? ToAlignment<TS, TVec, T>(ref destination) : 0;
        for (; i + c <= n; i += c)
        {
            TS.Store(LogOfRatio<TS, TVec, T>(TS.Load(ref x, i), negatedMax, scaleV, hiV, loV), ref destination, i);
        }

        if (i < n)
        {
            TS.Store(LogOfRatio<TS, TVec, T>(last, negatedMax, scaleV, hiV, loV), ref destination, n - c);
        }

        TS.Store(LogOfRatio<TS, TVec, T>(first, negatedMax, scaleV, hiV, loV), ref destination, 0);
    }

    /// <summary>
    /// Σ a[i]·b[i] (with <paramref name="multiply"/>) or Σ a[i]: four FMA accumulators, as fast as
    /// TensorPrimitives.Dot; the backward passes need no more than the working precision here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SumOfProducts<TS, TVec, T>(ref T a, ref T b, nuint n, bool multiply)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec one = TS.Create(T.One);
        TVec s0 = default, s1 = default, s2 = default, s3 = default;
        nuint i = 0;
        for (; i + (4 * c) <= n; i += 4 * c)
        {
            s0 = TS.MultiplyAdd(TS.Load(ref a, i), multiply ? TS.Load(ref b, i) : one, s0);
            s1 = TS.MultiplyAdd(TS.Load(ref a, i + c), multiply ? TS.Load(ref b, i + c) : one, s1);
            s2 = TS.MultiplyAdd(TS.Load(ref a, i + (2 * c)), multiply ? TS.Load(ref b, i + (2 * c)) : one, s2);
            s3 = TS.MultiplyAdd(TS.Load(ref a, i + (3 * c)), multiply ? TS.Load(ref b, i + (3 * c)) : one, s3);
        }

        for (; i + c <= n; i += c)
        {
            s0 = TS.MultiplyAdd(TS.Load(ref a, i), multiply ? TS.Load(ref b, i) : one, s0);
        }

        if (i < n)
        {
            TVec v = TS.ZeroLanesBelow(TS.Load(ref a, n - c), (int)(c - (n - i)));
            s1 = TS.MultiplyAdd(v, multiply ? TS.Load(ref b, n - c) : one, s1);
        }

        (double hi, double lo) = TS.SumAcross(TS.Add(TS.Add(s0, s1), TS.Add(s2, s3)), default);
        return T.CreateTruncating(hi + lo);
    }

    /// <summary>dx[i] = y[i]·(dy[i] − dot). dx may be y or dy (element-wise, tail preloaded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyDifference<TS, TVec, T>(ref T y, ref T dy, ref T dx, nuint n, T dot)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec d = TS.Create(dot);
        TVec lastY = TS.Load(ref y, n - c), lastDy = TS.Load(ref dy, n - c);
        nuint i = 0;
        for (; i + c <= n; i += c)
        {
            TS.Store(TS.Multiply(TS.Load(ref y, i), TS.Subtract(TS.Load(ref dy, i), d)), ref dx, i);
        }

        if (i < n)
        {
            TS.Store(TS.Multiply(lastY, TS.Subtract(lastDy, d)), ref dx, n - c);
        }
    }

    /// <summary>dx[i] = dy[i] − exp(y[i])·sum, y[i] ≤ 0. dx may be y or dy (element-wise, tail preloaded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SubtractExpTimes<TS, TVec, T>(ref T y, ref T dy, ref T dx, nuint n, T sum)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint c = (nuint)TS.Count;
        TVec s = TS.Create(-sum), cutoff = TS.Create(ExpConstants<T>.Cutoff);
        TVec lastY = TS.Load(ref y, n - c), lastDy = TS.Load(ref dy, n - c);
        nuint i = 0;
        for (; i + c <= n; i += c)
        {
            TVec p = ExpNonPositive.Compute<TS, TVec, T>(TS.Max(cutoff, TS.Load(ref y, i)), default);
            TS.Store(TS.MultiplyAdd(p, s, TS.Load(ref dy, i)), ref dx, i);
        }

        if (i < n)
        {
            TVec p = ExpNonPositive.Compute<TS, TVec, T>(TS.Max(cutoff, lastY), default);
            TS.Store(TS.MultiplyAdd(p, s, lastDy), ref dx, n - c);
        }
    }

    /// <summary>
    /// scale·(x − max) − log(sum) for one register, from −logHi and logLo. Both terms have the sign of
    /// the result (scale·(x − max) ≤ 0 ≤ log(sum)), so nothing cancels and each rounding, x − max's
    /// included, is at most half an ulp of the result: unlike under exp, x − max needs no TwoSum here.
    /// For a scale of 1 the multiply-add is d − logHi rounded once, as an add would be: one form, no
    /// branch in the loops.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec LogOfRatio<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, TVec negatedLogHi, TVec logLo)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TS.Subtract(TS.MultiplyAdd(scale, TS.Add(x, negatedMax), negatedLogHi), logLo);

    /// <summary>
    /// exp(scale·(x − max)) for one register, x − max carried exactly. <paramref name="bounded"/> says
    /// that scale·(x − max) is already within [cutoff, 0] or NaN (x clamped to a floor), so it needs
    /// no clamps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec ExpOfScaledDifference<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, bool scaled, bool bounded = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (TVec r, TVec n) = ReducedExpOfScaledDifference<TS, TVec, T>(x, negatedMax, scale, scaled, bounded);
        return ExpNonPositive.FromReduced<TS, TVec, T>(r, n);
    }

    /// <summary>
    /// <see cref="ExpOfScaledDifference"/> up to its exp's reduced argument (r, n), for
    /// <see cref="ExpNonPositive.FromReduced"/> (the sum pass's software-pipelined loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TVec R, TVec N) ReducedExpOfScaledDifference<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, bool scaled, bool bounded = false, bool addsOnFmaPipes = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (TVec hi, TVec lo) = ScaledDifference<TS, TVec, T>(x, negatedMax, scale, scaled, bounded);
        if (!bounded)
        {
            // Below the cutoff exp() rounds to 0; clamping also maps −∞ there. Operand order keeps a NaN hi.
            hi = TS.Max(TS.Create(ExpConstants<T>.Cutoff), hi);
        }

        return ExpNonPositive.Reduce<TS, TVec, T>(hi, lo, addsOnFmaPipes);
    }

    /// <summary>
    /// scale·(x − max) as hi + lo exactly (to within lo's own rounding) wherever |hi| is below 2^24.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVec Hi, TVec Lo) ScaledDifference<TS, TVec, T>(TVec x, TVec negatedMax, TVec scale, bool scaled, bool bounded)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec d, e;
        if (bounded)
        {
            // x ≤ max here, so min(x, −max) is the operand of the larger magnitude and Fast2Sum is
            // exact: 5 operations where TwoSum takes 6, all of them on the add pipes. A NaN x makes
            // d NaN.
            TVec larger = TS.Min(x, negatedMax), smaller = TS.Max(negatedMax, x);
            d = TS.Add(x, negatedMax); // larger + smaller, without waiting for them
            e = TS.Subtract(smaller, TS.Subtract(d, larger));
        }
        else
        {
            d = TS.Add(x, negatedMax);
            e = ExactArithmetic.SumError<TS, TVec, T>(x, negatedMax, d);
        }

        if (scaled)
        {
            TVec hi = TS.Multiply(scale, d);
            e = TS.MultiplyAdd(scale, e, ExactArithmetic.ProductError<TS, TVec, T>(scale, d, hi));
            d = hi;
        }

        // Unless bounded, lo is held to [-1, 1]: NaN (from ±∞) and huge errors (from differences far
        // past the exp cutoff, where they are below the output's precision anyway) must not move the
        // clamped exp argument.
        return (d, bounded ? e : TS.Min(TS.Max(e, TS.Create(-T.One)), TS.Create(T.One)));
    }

    /// <summary>
    /// s + c += v, the rounding error of s + v kept in c. TwoSum where s may be below v (from 0, the
    /// max term 1 can come after smaller ones); Fast2Sum where <paramref name="sAtLeastV"/> says
    /// |s| ≥ |v|, or, where <paramref name="nonNegative"/> says both are ≥ 0 (or NaN), Fast2Sum on
    /// max(s, v) and min(s, v): 5 operations where TwoSum takes 6. Only s + v is on the loop-carried chain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddCompensated<TS, TVec, T>(ref TVec s, ref TVec c, TVec v, bool sAtLeastV = false, bool nonNegative = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec t = TS.Add(s, v);
        TVec error = sAtLeastV ? TS.Subtract(v, TS.Subtract(t, s))
            : nonNegative ? TS.Subtract(TS.Min(s, v), TS.Subtract(t, TS.Max(s, v)))
            : ExactArithmetic.SumError<TS, TVec, T>(s, v, t);
        c = TS.Add(c, error);
        s = t;
    }
}
