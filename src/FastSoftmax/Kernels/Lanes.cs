using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>Lane-by-lane helpers shared by the widths.</summary>
internal static class Lanes
{
    /// <summary>0, 1, 2, ... in the lanes (Vector128&lt;T&gt;.Indices is .NET 9 and later).</summary>
    public static TVec Indices<TVec, T>()
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec v = default;
        ref T lane = ref Unsafe.As<TVec, T>(ref v);
        for (int i = 0; i < Unsafe.SizeOf<TVec>() / Unsafe.SizeOf<T>(); i++)
        {
            Unsafe.Add(ref lane, i) = T.CreateTruncating(i);
        }

        return v;
    }

    /// <summary>Σ sum[i] + compensation[i] over the lanes, as a double-double (TwoSum per lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcrossCompensated<TVec, T>(TVec sum, TVec compensation, int count)
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T s = ref Unsafe.As<TVec, T>(ref sum);
        ref T c = ref Unsafe.As<TVec, T>(ref compensation);
        double hi = 0, lo = 0;
        for (int i = 0; i < count; i++)
        {
            ExactArithmetic.Accumulate(ref hi, ref lo, double.CreateTruncating(Unsafe.Add(ref s, i)));
            lo += double.CreateTruncating(Unsafe.Add(ref c, i));
        }

        return (hi, lo);
    }

    /// <summary>
    /// value · 2^n for the widths without vscalef: 2^n built in the exponent bits, and split in two
    /// halves only when some lane's result is subnormal, so that it is still rounded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec ScaleByPowerOfTwoBits<TS, TVec, T>(TVec value, TVec n)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!TS.AnyLessThan(n, TS.Create(ExpConstants<T>.MinNormalExponent)))
        {
            return TS.Multiply(value, PowerOfTwo<TS, TVec, T>(n));
        }

        TVec magic = TS.Create(ExpConstants<T>.RoundingMagic);
        TVec half = TS.Subtract(TS.MultiplyAdd(n, TS.Create(T.CreateTruncating(0.5)), magic), magic);
        TVec exact = TS.Multiply(value, PowerOfTwo<TS, TVec, T>(half));
        return TS.Multiply(exact, PowerOfTwo<TS, TVec, T>(TS.Subtract(n, half)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec PowerOfTwo<TS, TVec, T>(TVec n)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TS.ShiftIntoExponent(TS.Add(n, TS.Create(ExpConstants<T>.ExponentMagic)));
}
