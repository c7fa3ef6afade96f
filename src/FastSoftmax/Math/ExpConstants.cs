using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>
/// Constants of <see cref="ExpNonPositive"/> per element type: properties, which the JIT folds to
/// constants in every mode. As static readonly fields they were folded only by tier-1 code compiled
/// after the class was initialized; fully optimized code compiled before that (tiered compilation off,
/// ReadyToRun) loaded them behind a class-initialization check, whose helper call made the JIT keep the
/// exp loops' registers on the stack (10-class cross-entropy at half speed, some processes).
/// </summary>
internal static class ExpConstants<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>
    /// Arguments below this give exp() = 0 after rounding (float: e^-110 &lt; 2^-158; double:
    /// e^-760 &lt; 2^-1096), and 2^n stays within what <see cref="ISimd{TVec,T}.ScaleByPowerOfTwo"/>
    /// takes.
    /// </summary>
    public static T Cutoff
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(-110.0) : T.CreateTruncating(-760.0);
    }

    /// <summary>At or below this, exp() rounds to +0 (float: e^-104 &lt; 2^-150; double: e^-746 &lt; 2^-1075).</summary>
    public static T ZeroBelow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(-104.0) : T.CreateTruncating(-746.0);
    }

    /// <summary>Below this exponent 2^n is subnormal.</summary>
    public static T MinNormalExponent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(-126.0) : T.CreateTruncating(-1022.0);
    }

    /// <summary>1.5 * 2^(mantissa bits): adding it rounds to an integer, keeping it in the low bits.</summary>
    public static T RoundingMagic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(12582912.0) : T.CreateTruncating(6755399441055744.0);
    }

    /// <summary>2^(mantissa bits) + exponent bias: n + this holds the biased exponent of 2^n in its low bits.</summary>
    public static T ExponentMagic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(8388608.0 + 127.0) : T.CreateTruncating(4503599627370496.0 + 1023.0);
    }

    public static T Log2E
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => T.CreateTruncating(1.4426950408889634);
    }

    // Cody-Waite split of ln 2: Ln2Hi has trailing zero bits, so n * Ln2Hi is exact for every n we
    // form, with or without FMA (float: 16 significant bits, |n| < 2^8; double: fdlibm's 32-bit split).
    public static T Ln2Hi
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(0.693145751953125) : T.CreateTruncating(6.93147180369123816490e-01);
    }

    public static T Ln2Lo
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(1.428606765330187e-06) : T.CreateTruncating(1.90821492927058770002e-10);
    }
}
