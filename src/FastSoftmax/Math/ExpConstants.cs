using System.Numerics;

namespace FastSoftmax.Kernels;

/// <summary>
/// Constants of <see cref="ExpNonPositive"/> per element type. Static readonly fields, which the JIT
/// folds into code compiled after the class is initialized: <see cref="Dispatch"/> initializes both
/// instantiations before any kernel runs, so that also fully optimized code compiled at a kernel's
/// first call (tiered compilation off) folds them; compiled earlier, each read sat behind a
/// class-initialization check whose helper call kept the exp loops' registers on the stack (10-class
/// cross-entropy at half speed). Not properties: their IL, inlined at every exp, used up the big
/// kernels' inlining budget (the general cross-entropy row then called Simd512's one-instruction
/// helpers: 4,096 x 1,000 at 1.2 elements/ns instead of 1.65).
/// </summary>
internal static class ExpConstants<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>
    /// Arguments below this give exp() = 0 after rounding (float: e^-110 &lt; 2^-158; double:
    /// e^-760 &lt; 2^-1096), and 2^n stays within what <see cref="ISimd{TVec,T}.ScaleByPowerOfTwo"/>
    /// takes.
    /// </summary>
    public static readonly T Cutoff = typeof(T) == typeof(float) ? T.CreateTruncating(-110.0) : T.CreateTruncating(-760.0);

    /// <summary>At or below this, exp() rounds to +0 (float: e^-104 &lt; 2^-150; double: e^-746 &lt; 2^-1075).</summary>
    public static readonly T ZeroBelow = typeof(T) == typeof(float) ? T.CreateTruncating(-104.0) : T.CreateTruncating(-746.0);

    /// <summary>Below this exponent 2^n is subnormal.</summary>
    public static readonly T MinNormalExponent = typeof(T) == typeof(float) ? T.CreateTruncating(-126.0) : T.CreateTruncating(-1022.0);

    /// <summary>1.5 * 2^(mantissa bits): adding it rounds to an integer, keeping it in the low bits.</summary>
    public static readonly T RoundingMagic = typeof(T) == typeof(float) ? T.CreateTruncating(12582912.0) : T.CreateTruncating(6755399441055744.0);

    /// <summary>2^(mantissa bits) + exponent bias: n + this holds the biased exponent of 2^n in its low bits.</summary>
    public static readonly T ExponentMagic = typeof(T) == typeof(float) ? T.CreateTruncating(8388608.0 + 127.0) : T.CreateTruncating(4503599627370496.0 + 1023.0);

    public static readonly T Log2E = T.CreateTruncating(1.4426950408889634);

    // Cody-Waite split of ln 2: Ln2Hi has trailing zero bits, so n * Ln2Hi is exact for every n we
    // form, with or without FMA (float: 16 significant bits, |n| < 2^8; double: fdlibm's 32-bit split).
    public static readonly T Ln2Hi = typeof(T) == typeof(float) ? T.CreateTruncating(0.693145751953125) : T.CreateTruncating(6.93147180369123816490e-01);

    public static readonly T Ln2Lo = typeof(T) == typeof(float) ? T.CreateTruncating(1.428606765330187e-06) : T.CreateTruncating(1.90821492927058770002e-10);
}
