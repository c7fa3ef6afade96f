using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>
/// Rows whose max is not finite: a NaN (every output NaN), all −∞ (a fully masked row), or +∞
/// entries (the limit: the mass split equally among them). Rare, so scalar.
/// </summary>
internal static class SpecialRows
{
    public static void Softmax<T>(ref T x, ref T destination, nuint n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (bool nan, int positiveInfinities) = Classify(ref x, n);
        T share = positiveInfinities > 0 ? T.One / T.CreateTruncating(positiveInfinities) : T.Zero;
        for (nuint i = 0; i < n; i++)
        {
            ref T y = ref Unsafe.Add(ref destination, i);
            y = nan ? T.NaN : T.IsPositiveInfinity(Unsafe.Add(ref x, i)) ? share : T.Zero;
        }
    }

    public static void LogSoftmax<T>(ref T x, ref T destination, nuint n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (bool nan, int positiveInfinities) = Classify(ref x, n);
        T share = -T.Log(T.CreateTruncating(positiveInfinities));
        for (nuint i = 0; i < n; i++)
        {
            ref T y = ref Unsafe.Add(ref destination, i);
            y = nan ? T.NaN : T.IsPositiveInfinity(Unsafe.Add(ref x, i)) ? share : T.NegativeInfinity;
        }
    }

    public static T LogSumExp<T>(ref T x, nuint n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (bool nan, int positiveInfinities) = Classify(ref x, n);
        return nan ? T.NaN : positiveInfinities > 0 ? T.PositiveInfinity : T.NegativeInfinity;
    }

    private static (bool NaN, int PositiveInfinities) Classify<T>(ref T x, nuint n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = 0;
        for (nuint i = 0; i < n; i++)
        {
            T v = Unsafe.Add(ref x, i);
            if (T.IsNaN(v))
            {
                return (true, 0);
            }

            count += T.IsPositiveInfinity(v) ? 1 : 0;
        }

        return (false, count);
    }
}
