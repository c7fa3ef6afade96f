using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>
/// exp(hi + lo) for hi in [<see cref="ExpConstants{T}.Cutoff"/>, 0] (or NaN) and |lo| ≤ ulp(hi): the
/// only exp softmax needs once the row max is subtracted, so it has no overflow path.
/// </summary>
/// <remarks>
/// n = round(hi·log2 e); r = (hi − n·ln2_hi) + (lo − n·ln2_lo) (Cody-Waite: the first difference exact,
/// the two small terms added side by side, off the first one's chain); exp(r) ≈ 1 + r·q(r) with q fitted by
/// <c>fit_exp_polynomial.py</c> (worst relative error of the polynomial: float 1.1e-8 = 0.18 ulp,
/// double 1.6e-17 = 0.15 ulp); then the result is p·2^n, rounded once, subnormals included.
/// Measured against the correctly rounded exp over every float in [-104, 0]: see the accuracy tests.
/// <see cref="Reduce"/>'s <c>addsOnFmaPipes</c> (with hardware FMA only) forms n's and r's adds as FMAs by 1, a·1 + b rounded
/// once as a + b is: the same bits, off the add pipes, which the sum pass's exact digits load (Zen 4:
/// log-sum-exp 4,096 3.02 → 3.27, softmax 2.96 → 3.11). The sum pass asks for it; the short rows and
/// the blocks of rows showed no difference, so they keep the adds.
/// </remarks>
internal static class ExpNonPositive
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Compute<TS, TVec, T>(TVec hi, TVec lo)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (TVec r, TVec n) = Reduce<TS, TVec, T>(hi, lo);
        return FromReduced<TS, TVec, T>(r, n);
    }

    /// <summary>The first half of <see cref="Compute"/>: n = round(hi·log2 e) and r = hi + lo − n·ln 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TVec R, TVec N) Reduce<TS, TVec, T>(TVec hi, TVec lo, bool addsOnFmaPipes = false)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        addsOnFmaPipes &= TS.HasFusedMultiplyAdd; // without FMA the same bits too, but in two operations
        TVec magic = TS.Create(ExpConstants<T>.RoundingMagic);
        TVec t = TS.MultiplyAdd(hi, TS.Create(ExpConstants<T>.Log2E), magic);
        TVec n = addsOnFmaPipes ? TS.MultiplyAdd(t, TS.Create(T.One), TS.Create(-ExpConstants<T>.RoundingMagic)) : TS.Subtract(t, magic);
        TVec a = TS.MultiplyAdd(n, TS.Create(-ExpConstants<T>.Ln2Hi), hi), b = TS.MultiplyAdd(n, TS.Create(-ExpConstants<T>.Ln2Lo), lo);
        TVec r = addsOnFmaPipes ? TS.MultiplyAdd(a, TS.Create(T.One), b) : TS.Add(a, b);
        return (r, n);
    }

    /// <summary>The second half of <see cref="Compute"/>: exp(r)·2^n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec FromReduced<TS, TVec, T>(TVec r, TVec n)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec q;
        if (typeof(T) == typeof(float))
        {
            q = TS.Create(T.CreateTruncating(0.0013934541493654251));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.0083698695525527)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.04166645556688309)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.1666649878025055)));
        }
        else
        {
            q = TS.Create(T.CreateTruncating(2.5106274733573296e-08));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(2.762774654094673e-07)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(2.755725283351691e-06)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(2.4801500976060442e-05)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.00019841269876864356)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.0013888888935172437)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.008333333333325544)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.04166666666656539)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.1666666666666667)));
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.5000000000000007)));
        }

        if (typeof(T) == typeof(float))
        {
            q = TS.MultiplyAdd(q, r, TS.Create(T.CreateTruncating(0.5)));
        }

        TVec one = TS.Create(T.One);
        q = TS.MultiplyAdd(q, r, one);
        TVec p = TS.MultiplyAdd(q, r, one);
        return TS.ScaleByPowerOfTwo(p, n);
    }
}
