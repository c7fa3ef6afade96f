using System;
using System.Numerics;

namespace FastSoftmax.Tests;

/// <summary>Distances in units in the last place, counted over the ordered bit patterns (subnormals included).</summary>
internal static class Ulp
{
    public static long Distance<T>(T a, T b)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (T.IsNaN(a) || T.IsNaN(b))
        {
            return T.IsNaN(a) && T.IsNaN(b) ? 0 : long.MaxValue;
        }

        return Math.Abs(Ordered(a) - Ordered(b));
    }

    private static long Ordered<T>(T value)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long bits = typeof(T) == typeof(float)
            ? BitConverter.SingleToInt32Bits(float.CreateTruncating(value))
            : BitConverter.DoubleToInt64Bits(double.CreateTruncating(value));
        long signMask = typeof(T) == typeof(float) ? int.MinValue : long.MinValue;
        return bits < 0 ? signMask - bits : bits;
    }
}
