using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>Vector256 on AVX2 (FMA where the CPU has it; vscalef where AVX-512VL is there too).</summary>
internal readonly unsafe struct Simd256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx.IsSupported;

    public static int Count => Vector256<T>.Count;

#if NET9_0_OR_GREATER
    private static Vector256<T> LaneIndices => Vector256<T>.Indices; // a JIT constant (see Simd512)
#else
    private static readonly Vector256<T> LaneIndices = Lanes.Indices<Vector256<T>, T>();
#endif

    public static bool HasFusedMultiplyAdd => Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector256<T> value, ref T destination, nuint index) =>
        value.StoreAlignedNonTemporal((T*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    public static bool HasJoin => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> JoinIndices(int shift) => typeof(T) == typeof(float)
        ? (Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create(shift)).As<int, T>()
        : (Vector256.Create(0L, 1L, 2L, 3L) + Vector256.Create((long)shift)).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Join(Vector256<T> low, Vector256<T> high, Vector256<T> indices) => typeof(T) == typeof(float)
        ? Avx512F.VL.PermuteVar8x32x2(low.AsSingle(), indices.AsInt32(), high.AsSingle()).As<float, T>()
        : Avx512F.VL.PermuteVar4x64x2(low.AsDouble(), indices.AsInt64(), high.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Create(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (!Fma.IsSupported)
        {
            return (a * b) + c;
        }

        return typeof(T) == typeof(float)
            ? Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) =>
        typeof(T) == typeof(float)
            ? Avx.Max(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx.Max(a.AsDouble(), b.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) =>
        typeof(T) == typeof(float)
            ? Avx.Min(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx.Min(a.AsDouble(), b.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ZeroWhereZero(Vector256<T> value, Vector256<T> probe) =>
        Vector256.ConditionalSelect(Vector256.Equals(probe, default), default, value);

    public static bool HasMaskedMemory => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FirstLanes(int n) => Vector256.LessThan(LaneIndices, Vector256.Create(T.CreateTruncating(n)));

    // vmaskmov zeroes the lanes it skips; the fill goes in after.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LoadFirst(ref T source, Vector256<T> mask, T fill)
    {
#if NET9_0_OR_GREATER
        // AVX-512's masked move where there is one: vmaskmov is slow on AMD (Zen 4, a lone softmax of 6
        // floats: 27 -> 21 ns a call), and the k-mask load takes the fill in the same instruction.
        if (Avx512F.VL.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Avx512F.VL.MaskLoad((float*)Unsafe.AsPointer(ref source), mask.AsSingle(), Vector256.Create(fill).AsSingle()).As<float, T>()
                : Avx512F.VL.MaskLoad((double*)Unsafe.AsPointer(ref source), mask.AsDouble(), Vector256.Create(fill).AsDouble()).As<double, T>();
        }
#endif
        return Vector256.ConditionalSelect(
            mask,
            typeof(T) == typeof(float)
                ? Avx.MaskLoad((float*)Unsafe.AsPointer(ref source), mask.AsSingle()).As<float, T>()
                : Avx.MaskLoad((double*)Unsafe.AsPointer(ref source), mask.AsDouble()).As<double, T>(),
            Vector256.Create(fill));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector256<T> value, ref T destination, Vector256<T> mask)
    {
#if NET9_0_OR_GREATER
        if (Avx512F.VL.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                Avx512F.VL.MaskStore((float*)Unsafe.AsPointer(ref destination), mask.AsSingle(), value.AsSingle());
            }
            else
            {
                Avx512F.VL.MaskStore((double*)Unsafe.AsPointer(ref destination), mask.AsDouble(), value.AsDouble());
            }

            return;
        }
#endif
        if (typeof(T) == typeof(float))
        {
            Avx.MaskStore((float*)Unsafe.AsPointer(ref destination), mask.AsSingle(), value.AsSingle());
        }
        else
        {
            Avx.MaskStore((double*)Unsafe.AsPointer(ref destination), mask.AsDouble(), value.AsDouble());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LoadRow(ref T source, int n, Vector256<T> mask) => LoadFirst(ref source, mask, source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(Vector256<T> value, ref T destination, int n, Vector256<T> mask) => StoreFirst(value, ref destination, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Equal(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLanes(Vector256<T> mask) => BitOperations.PopCount(Vector256.ExtractMostSignificantBits(mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ZeroLanes(Vector256<T> value, Vector256<T> mask) => Vector256.ConditionalSelect(mask, default, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> KeepLanes(Vector256<T> value, Vector256<T> mask) => Vector256.ConditionalSelect(mask, value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> ifTrue, Vector256<T> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ZeroLanesBelow(Vector256<T> value, int lane) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(LaneIndices, Vector256.Create(T.CreateTruncating(lane))), value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleByPowerOfTwo(Vector256<T> value, Vector256<T> n)
    {
        if (!Avx512F.VL.IsSupported)
        {
            return Lanes.ScaleByPowerOfTwoBits<Simd256<T>, Vector256<T>, T>(value, n);
        }

        return typeof(T) == typeof(float)
            ? Avx512F.VL.Scale(value.AsSingle(), n.AsSingle()).As<float, T>()
            : Avx512F.VL.Scale(value.AsDouble(), n.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyLessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThanAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ShiftIntoExponent(Vector256<T> biased) =>
        typeof(T) == typeof(float)
            ? Vector256.ShiftLeft(biased.AsUInt32(), 23).As<uint, T>()
            : Vector256.ShiftLeft(biased.AsUInt64(), 52).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector256<T> value) =>
        Simd128<T>.MaxAcross(Simd128<T>.Max(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcross(Vector256<T> sum, Vector256<T> compensation)
    {
        if (typeof(T) == typeof(float))
        {
            // Widened to double, the float lanes add up with an error far below a float ulp.
            (Vector256<double> s0, Vector256<double> s1) = Vector256.Widen(sum.AsSingle());
            (Vector256<double> c0, Vector256<double> c1) = Vector256.Widen(compensation.AsSingle());
            return (Lanes.Sum((s0 + s1) + (c0 + c1)), 0);
        }

        return (double.CreateTruncating(Vector256.Sum(sum)), double.CreateTruncating(Vector256.Sum(compensation)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(Vector256<T> sum)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector256<double> s0, Vector256<double> s1) = Vector256.Widen(sum.AsSingle());
            return Lanes.Sum(s0 + s1);
        }

        (double hi, double lo) = SumAcrossExact(sum, default);
        return hi + lo;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcrossExact(Vector256<T> sum, Vector256<T> compensation)
    {
        if (typeof(T) == typeof(double))
        {
            return Lanes.SumAcrossExact(sum.AsDouble(), compensation.AsDouble());
        }

        (Vector256<double> s0, Vector256<double> s1) = Vector256.Widen(sum.AsSingle());
        (Vector256<double> c0, Vector256<double> c1) = Vector256.Widen(compensation.AsSingle());
        return Lanes.SumPairAcrossExact(s0, s1, c0 + c1);
    }
}
