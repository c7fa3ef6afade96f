using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>
/// Vector128: SSE4.1 on x64 (FMA and vscalef where the CPU has them), and the portable Vector128
/// operations elsewhere (no fused multiply-add there, so the exact product falls back to Dekker's).
/// </summary>
internal readonly unsafe struct Simd128<T> : ISimd<Vector128<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector128.IsHardwareAccelerated;

    public static int Count => Vector128<T>.Count;

#if NET9_0_OR_GREATER
    private static Vector128<T> LaneIndices => Vector128<T>.Indices; // a JIT constant (see Simd512)
#else
    private static readonly Vector128<T> LaneIndices = Lanes.Indices<Vector128<T>, T>();
#endif

    public static bool HasFusedMultiplyAdd => Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector128<T> value, ref T destination, nuint index) =>
        value.StoreAlignedNonTemporal((T*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    public static bool HasJoin => Avx512F.VL.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> JoinIndices(int shift) => typeof(T) == typeof(float)
        ? (Vector128.Create(0, 1, 2, 3) + Vector128.Create(shift)).As<int, T>()
        : (Vector128.Create(0L, 1L) + Vector128.Create((long)shift)).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Join(Vector128<T> low, Vector128<T> high, Vector128<T> indices) => typeof(T) == typeof(float)
        ? Avx512F.VL.PermuteVar4x32x2(low.AsSingle(), indices.AsInt32(), high.AsSingle()).As<float, T>()
        : Avx512F.VL.PermuteVar2x64x2(low.AsDouble(), indices.AsInt64(), high.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Create(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
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
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b)
    {
        if (!Sse2.IsSupported)
        {
            return Vector128.ConditionalSelect(Vector128.GreaterThan(a, b), a, b);
        }

        return typeof(T) == typeof(float)
            ? Sse.Max(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Sse2.Max(a.AsDouble(), b.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Min(Vector128<T> a, Vector128<T> b)
    {
        if (!Sse2.IsSupported)
        {
            return Vector128.ConditionalSelect(Vector128.LessThan(a, b), a, b);
        }

        return typeof(T) == typeof(float)
            ? Sse.Min(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Sse2.Min(a.AsDouble(), b.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ZeroWhereZero(Vector128<T> value, Vector128<T> probe) =>
        Vector128.ConditionalSelect(Vector128.Equals(probe, default), default, value);

    public static bool HasMaskedMemory => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> FirstLanes(int n) => Vector128.LessThan(LaneIndices, Vector128.Create(T.CreateTruncating(n)));

    // vmaskmov zeroes the lanes it skips; the fill goes in after.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LoadFirst(ref T source, Vector128<T> mask, T fill)
    {
#if NET9_0_OR_GREATER
        // AVX-512's masked move where there is one: vmaskmov is slow on AMD (Zen 4, a lone softmax of 6
        // floats: 27 -> 21 ns a call), and the k-mask load takes the fill in the same instruction.
        if (Avx512F.VL.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Avx512F.VL.MaskLoad((float*)Unsafe.AsPointer(ref source), mask.AsSingle(), Vector128.Create(fill).AsSingle()).As<float, T>()
                : Avx512F.VL.MaskLoad((double*)Unsafe.AsPointer(ref source), mask.AsDouble(), Vector128.Create(fill).AsDouble()).As<double, T>();
        }
#endif
        return Vector128.ConditionalSelect(
            mask,
            typeof(T) == typeof(float)
                ? Avx.MaskLoad((float*)Unsafe.AsPointer(ref source), mask.AsSingle()).As<float, T>()
                : Avx.MaskLoad((double*)Unsafe.AsPointer(ref source), mask.AsDouble()).As<double, T>(),
            Vector128.Create(fill));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector128<T> value, ref T destination, Vector128<T> mask)
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
    public static Vector128<T> LoadRow(ref T source, int n, Vector128<T> mask) => LoadFirst(ref source, mask, source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(Vector128<T> value, ref T destination, int n, Vector128<T> mask) => StoreFirst(value, ref destination, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Equal(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLanes(Vector128<T> mask) => BitOperations.PopCount(Vector128.ExtractMostSignificantBits(mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ZeroLanes(Vector128<T> value, Vector128<T> mask) => Vector128.ConditionalSelect(mask, default, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> KeepLanes(Vector128<T> value, Vector128<T> mask) => Vector128.ConditionalSelect(mask, value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> ifTrue, Vector128<T> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ZeroLanesBelow(Vector128<T> value, int lane) =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(LaneIndices, Vector128.Create(T.CreateTruncating(lane))), value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ScaleByPowerOfTwo(Vector128<T> value, Vector128<T> n)
    {
        if (!Avx512F.VL.IsSupported)
        {
            return Lanes.ScaleByPowerOfTwoBits<Simd128<T>, Vector128<T>, T>(value, n);
        }

        return typeof(T) == typeof(float)
            ? Avx512F.VL.Scale(value.AsSingle(), n.AsSingle()).As<float, T>()
            : Avx512F.VL.Scale(value.AsDouble(), n.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyLessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThanAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ShiftIntoExponent(Vector128<T> biased) =>
        typeof(T) == typeof(float)
            ? Vector128.ShiftLeft(biased.AsUInt32(), 23).As<uint, T>()
            : Vector128.ShiftLeft(biased.AsUInt64(), 52).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector128<T> value)
    {
        // Swap halves, then neighbours: two shuffles instead of a chain of lane compares.
        if (typeof(T) == typeof(float))
        {
            Vector128<float> v = value.AsSingle();
            v = Simd128<float>.Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
            v = Simd128<float>.Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
            return T.CreateTruncating(v.ToScalar());
        }

        Vector128<double> d = value.AsDouble();
        return T.CreateTruncating(Simd128<double>.Max(d, Vector128.Shuffle(d, Vector128.Create(1L, 0L))).ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcross(Vector128<T> sum, Vector128<T> compensation)
    {
        if (typeof(T) == typeof(float))
        {
            // Widened to double, the float lanes add up with an error far below a float ulp.
            (Vector128<double> s0, Vector128<double> s1) = Vector128.Widen(sum.AsSingle());
            (Vector128<double> c0, Vector128<double> c1) = Vector128.Widen(compensation.AsSingle());
            return (Vector128.Sum((s0 + s1) + (c0 + c1)), 0);
        }

        return (double.CreateTruncating(Vector128.Sum(sum)), double.CreateTruncating(Vector128.Sum(compensation)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(Vector128<T> sum)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector128<double> s0, Vector128<double> s1) = Vector128.Widen(sum.AsSingle());
            return Vector128.Sum(s0 + s1);
        }

        (double hi, double lo) = SumAcrossExact(sum, default);
        return hi + lo;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcrossExact(Vector128<T> sum, Vector128<T> compensation)
    {
        if (typeof(T) == typeof(double))
        {
            return Lanes.SumAcrossExact(sum.AsDouble(), compensation.AsDouble());
        }

        (Vector128<double> s0, Vector128<double> s1) = Vector128.Widen(sum.AsSingle());
        (Vector128<double> c0, Vector128<double> c1) = Vector128.Widen(compensation.AsSingle());
        return Lanes.SumPairAcrossExact(s0, s1, c0 + c1);
    }
}
