using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>Error-free transformations: the rounding error of a sum or a product, exactly.</summary>
internal static class ExactArithmetic
{
    /// <summary>(a + b) − s exactly, where s = fl(a + b) (Knuth's TwoSum; no ordering of |a|, |b| needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec SumError<TS, TVec, T>(TVec a, TVec b, TVec s)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec bVirtual = TS.Subtract(s, a);
        TVec aVirtual = TS.Subtract(s, bVirtual);
        return TS.Add(TS.Subtract(a, aVirtual), TS.Subtract(b, bVirtual));
    }

    /// <summary>a·b − p exactly, where p = fl(a·b): one FMA, or Dekker's product without one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec ProductError<TS, TVec, T>(TVec a, TVec b, TVec p)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (TS.HasFusedMultiplyAdd)
        {
            return TS.MultiplyAdd(a, b, TS.Subtract(default, p));
        }

        (TVec aHi, TVec aLo) = Split<TS, TVec, T>(a);
        (TVec bHi, TVec bLo) = Split<TS, TVec, T>(b);
        TVec e = TS.Subtract(TS.Multiply(aHi, bHi), p);
        e = TS.Add(e, TS.Multiply(aHi, bLo));
        e = TS.Add(e, TS.Multiply(aLo, bHi));
        return TS.Add(e, TS.Multiply(aLo, bLo));
    }

    // Veltkamp's split into two halves of at most half the significand bits each.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVec Hi, TVec Lo) Split<TS, TVec, T>(TVec a)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVec factor = TS.Create(typeof(T) == typeof(float) ? T.CreateTruncating(4097.0) : T.CreateTruncating(134217729.0));
        TVec c = TS.Multiply(factor, a);
        TVec hi = TS.Subtract(c, TS.Subtract(c, a));
        return (hi, TS.Subtract(a, hi));
    }

    /// <summary>Adds a scalar to a double-double accumulator (TwoSum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Accumulate(ref double hi, ref double lo, double value)
    {
        double s = hi + value;
        double bVirtual = s - hi;
        lo += (hi - (s - bVirtual)) + (value - bVirtual);
        hi = s;
    }
}
