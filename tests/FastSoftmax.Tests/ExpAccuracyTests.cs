using System;
using System.Numerics;
using System.Runtime.Intrinsics;
using FastSoftmax.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace FastSoftmax.Tests;

/// <summary>
/// Our exp on its domain [cutoff, 0] against the correctly rounded exp (Math.Exp in double, rounded
/// once to float: exact but for double-rounding ties, which are far rarer than one in our sample).
/// </summary>
public class ExpAccuracyTests(ITestOutputHelper output)
{
    // Every 61st float bit pattern in [-104, 0] (about 18 million values), normal and subnormal results.
    [Fact]
    public void Float_exp_is_within_1_ulp_of_the_correctly_rounded_result()
    {
        uint from = BitConverter.SingleToUInt32Bits(-0f), to = BitConverter.SingleToUInt32Bits(-104f);
        long worst = 0;
        float worstAt = 0;
        for (uint bits = from; bits <= to; bits += 61)
        {
            float x = BitConverter.UInt32BitsToSingle(bits);
            float ours = ExpNonPositive.Compute<SimdScalar<float>, float, float>(x, 0f);
            float exact = (float)Math.Exp(x);
            long d = Ulp.Distance(ours, exact);
            if (d > worst)
            {
                (worst, worstAt) = (d, x);
            }
        }

        output.WriteLine($"float exp: worst {worst} ulp at x = {worstAt:R}");
        Assert.True(worst <= 1, $"worst {worst} ulp at {worstAt:R}");
    }

    [Fact]
    public void Vector_exp_equals_scalar_exp()
    {
        var random = new Random(4);
        for (int i = 0; i < 100_000; i++)
        {
            float x = (float)(-110 * random.NextDouble());
            float scalar = ExpNonPositive.Compute<SimdScalar<float>, float, float>(x, 0f);
            if (Simd512<float>.IsSupported)
            {
                Assert.Equal(scalar, ExpNonPositive.Compute<Simd512<float>, Vector512<float>, float>(Vector512.Create(x), default).ToScalar());
            }

            if (Simd256<float>.IsSupported)
            {
                Assert.Equal(scalar, ExpNonPositive.Compute<Simd256<float>, Vector256<float>, float>(Vector256.Create(x), default).ToScalar());
            }

            if (Simd128<float>.IsSupported)
            {
                Assert.Equal(scalar, ExpNonPositive.Compute<Simd128<float>, Vector128<float>, float>(Vector128.Create(x), default).ToScalar());
            }
        }
    }

    [Fact]
    public void Exp_with_its_adds_as_FMAs_by_one_has_the_same_bits()
    {
        var random = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            double hi = -760 * random.NextDouble() * random.NextDouble(), lo = Math.ScaleB(random.NextDouble() - 0.5, Math.ILogB(hi) - 52);
            float hiF = (float)(hi / 7), loF = MathF.ScaleB((float)random.NextDouble() - 0.5f, MathF.ILogB(hiF) - 23);
            if (Simd512<float>.IsSupported)
            {
                SameBits<Simd512<float>, Vector512<float>, float>(Vector512.Create(hiF), Vector512.Create(loF), v => v.ToScalar());
                SameBits<Simd512<double>, Vector512<double>, double>(Vector512.Create(hi), Vector512.Create(lo), v => v.ToScalar());
            }

            if (Simd256<float>.IsSupported)
            {
                SameBits<Simd256<float>, Vector256<float>, float>(Vector256.Create(hiF), Vector256.Create(loF), v => v.ToScalar());
            }

            if (Simd128<float>.IsSupported)
            {
                SameBits<Simd128<float>, Vector128<float>, float>(Vector128.Create(hiF), Vector128.Create(loF), v => v.ToScalar());
            }

            SameBits<SimdScalar<float>, float, float>(hiF, loF, v => v);
            SameBits<SimdScalar<double>, double, double>(hi, lo, v => v);
        }

        SameBits<SimdScalar<float>, float, float>(float.NaN, 0f, v => v);
    }

    private static void SameBits<TS, TVec, T>(TVec hi, TVec lo, Func<TVec, T> first)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (TVec r, TVec n) = ExpNonPositive.Reduce<TS, TVec, T>(hi, lo, addsOnFmaPipes: true); // as the sum pass asks for it
        T adds = first(ExpNonPositive.Compute<TS, TVec, T>(hi, lo)), fmas = first(ExpNonPositive.FromReduced<TS, TVec, T>(r, n));
        bool same = (adds.Equals(fmas) && T.IsNegative(adds) == T.IsNegative(fmas)) || (T.IsNaN(adds) && T.IsNaN(fmas));
        Assert.True(same, $"{typeof(TVec).Name}: {adds} with adds, {fmas} with FMAs by 1");
    }
}
