using System;
using System.Numerics;

namespace FastSoftmax.Tests;

/// <summary>Distances in units in the last place, counted over the ordered bit patterns (subnormals included).</summary>
internal static class Ulp
{
    /// <summary>
    /// The bit patterns, for comparisons that must hold bit for bit (and print where they fail), every
    /// NaN as one: NaN's sign and payload are not promised, and the JIT's tiers propagate different ones
    /// (optimized code may swap the operands of an add, and of two NaNs the first one wins).
    /// </summary>
    public static int[] Bits(ReadOnlySpan<float> values)
    {
        int[] bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = Bits(values[i]);
        }

        return bits;
    }

    /// <summary>One value's bit pattern, every NaN as one (see <see cref="Bits(ReadOnlySpan{float})"/>).</summary>
    public static long Bits<T>(T value)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        T.IsNaN(value) ? -1 : typeof(T) == typeof(float) ? BitConverter.SingleToInt32Bits(float.CreateTruncating(value)) : BitConverter.DoubleToInt64Bits(double.CreateTruncating(value));

    private static int Bits(float value) => (int)Bits<float>(value);

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
