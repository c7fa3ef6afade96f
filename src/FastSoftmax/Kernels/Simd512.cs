using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>Vector512 on AVX-512F: FMA and vscalef (2^n with subnormals in one instruction) always present.</summary>
internal readonly unsafe struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public static int Count => Vector512<T>.Count;

    private static readonly Vector512<T> LaneIndices = Lanes.Indices<Vector512<T>, T>();

    public static bool HasFusedMultiplyAdd => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Create(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) =>
        typeof(T) == typeof(float)
            ? Avx512F.Max(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx512F.Max(a.AsDouble(), b.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) =>
        typeof(T) == typeof(float)
            ? Avx512F.Min(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx512F.Min(a.AsDouble(), b.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroWhereZero(Vector512<T> value, Vector512<T> probe) =>
        Vector512.ConditionalSelect(Vector512.Equals(probe, default), default, value);

    public static bool HasMaskedMemory => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FirstLanes(int n) => Vector512.LessThan(LaneIndices, Vector512.Create(T.CreateTruncating(n)));

#if NET9_0_OR_GREATER
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadFirst(ref T source, Vector512<T> mask, T fill) =>
        typeof(T) == typeof(float)
            ? Avx512F.MaskLoad((float*)Unsafe.AsPointer(ref source), mask.AsSingle(), Vector512.Create(fill).AsSingle()).As<float, T>()
            : Avx512F.MaskLoad((double*)Unsafe.AsPointer(ref source), mask.AsDouble(), Vector512.Create(fill).AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector512<T> value, ref T destination, Vector512<T> mask)
    {
        if (typeof(T) == typeof(float))
        {
            Avx512F.MaskStore((float*)Unsafe.AsPointer(ref destination), mask.AsSingle(), value.AsSingle());
        }
        else
        {
            Avx512F.MaskStore((double*)Unsafe.AsPointer(ref destination), mask.AsDouble(), value.AsDouble());
        }
    }
#else
    // .NET 8 has no AVX-512 masked load or store: two AVX ones, one per half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadFirst(ref T source, Vector512<T> mask, T fill) =>
        Vector512.Create(
            Simd256<T>.LoadFirst(ref source, mask.GetLower(), fill),
            Simd256<T>.LoadFirst(ref Unsafe.Add(ref source, Vector256<T>.Count), mask.GetUpper(), fill));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(Vector512<T> value, ref T destination, Vector512<T> mask)
    {
        Simd256<T>.StoreFirst(value.GetLower(), ref destination, mask.GetLower());
        Simd256<T>.StoreFirst(value.GetUpper(), ref Unsafe.Add(ref destination, Vector256<T>.Count), mask.GetUpper());
    }
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLanes(Vector512<T> mask) => BitOperations.PopCount(Vector512.ExtractMostSignificantBits(mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroLanes(Vector512<T> value, Vector512<T> mask) => Vector512.ConditionalSelect(mask, default, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> KeepLanes(Vector512<T> value, Vector512<T> mask) => Vector512.ConditionalSelect(mask, value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroLanesBelow(Vector512<T> value, int lane) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(LaneIndices, Vector512.Create(T.CreateTruncating(lane))), value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleByPowerOfTwo(Vector512<T> value, Vector512<T> n) =>
        typeof(T) == typeof(float)
            ? Avx512F.Scale(value.AsSingle(), n.AsSingle()).As<float, T>()
            : Avx512F.Scale(value.AsDouble(), n.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyLessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThanAny(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ShiftIntoExponent(Vector512<T> biased) =>
        typeof(T) == typeof(float)
            ? Vector512.ShiftLeft(biased.AsUInt32(), 23).As<uint, T>()
            : Vector512.ShiftLeft(biased.AsUInt64(), 52).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector512<T> value) =>
        Simd256<T>.MaxAcross(Simd256<T>.Max(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcross(Vector512<T> sum, Vector512<T> compensation)
    {
        if (typeof(T) == typeof(float))
        {
            // Widened to double, the float lanes add up with an error far below a float ulp.
            (Vector512<double> s0, Vector512<double> s1) = Vector512.Widen(sum.AsSingle());
            (Vector512<double> c0, Vector512<double> c1) = Vector512.Widen(compensation.AsSingle());
            return (Lanes.Sum((s0 + s1) + (c0 + c1)), 0);
        }

        return (double.CreateTruncating(Vector512.Sum(sum)), double.CreateTruncating(Vector512.Sum(compensation)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcrossExact(Vector512<T> sum, Vector512<T> compensation)
    {
        if (typeof(T) == typeof(double))
        {
            return Lanes.SumAcrossExact(sum.AsDouble(), compensation.AsDouble());
        }

        (Vector512<double> s0, Vector512<double> s1) = Vector512.Widen(sum.AsSingle());
        (Vector512<double> c0, Vector512<double> c1) = Vector512.Widen(compensation.AsSingle());
        return Lanes.SumPairAcrossExact(s0, s1, c0 + c1);
    }
}
