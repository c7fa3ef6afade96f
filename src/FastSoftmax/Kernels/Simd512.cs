using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>Vector512 on AVX-512F: FMA and vscalef (2^n with subnormals in one instruction) always present.</summary>
internal readonly unsafe struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public static int Count => Vector512<T>.Count;

#if NET9_0_OR_GREATER
    // A constant to the JIT. As a static field of this generic type it cost a class-initialization
    // helper call in the sum pass's tail, and around that call the JIT kept the pass's loop-carried
    // accumulators in stack slots, stored and reloaded every iteration.
    private static Vector512<T> LaneIndices => Vector512<T>.Indices;
#else
    private static readonly Vector512<T> LaneIndices = Lanes.Indices<Vector512<T>, T>();
#endif

    public static bool HasFusedMultiplyAdd => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreNonTemporal(Vector512<T> value, ref T destination, nuint index) =>
        value.StoreAlignedNonTemporal((T*)Unsafe.AsPointer(ref Unsafe.Add(ref destination, index)));

    public static bool HasJoin => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> JoinIndices(int shift) => typeof(T) == typeof(float)
        ? (Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create(shift)).As<int, T>()
        : (Vector512.Create(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L) + Vector512.Create((long)shift)).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Join(Vector512<T> low, Vector512<T> high, Vector512<T> indices) => typeof(T) == typeof(float)
        ? Avx512F.PermuteVar16x32x2(low.AsSingle(), indices.AsInt32(), high.AsSingle()).As<float, T>()
        : Avx512F.PermuteVar8x64x2(low.AsDouble(), indices.AsInt64(), high.AsDouble()).As<double, T>();

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

    // A row of at least half a register loads and stores as two overlapping halves inside the row,
    // put in place by one permute: a masked access also reaches past the row, and on AMD (Zen 4) a
    // load whose masked-off lanes overlap a recent store nearby can wait for that store (a lone
    // 10-float softmax took 29 or 52 ns by where its two arrays lay; this way 19.7 at every offset tried).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadRow(ref T source, int n, Vector512<T> mask)
    {
        int half = Vector256<T>.Count;
        if (n < half)
        {
            return LoadFirst(ref source, mask, source);
        }

        // Not Vector512.Create(lower, upper): the JIT built that on a stack slot it loaded first.
        Vector512<T> halves = Vector256.LoadUnsafe(ref source).ToVector512Unsafe().WithUpper(Vector256.LoadUnsafe(ref source, (nuint)(n - half)));
        return Permute(halves, RowIndex(n, load: true));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(Vector512<T> value, ref T destination, int n, Vector512<T> mask)
    {
        int half = Vector256<T>.Count;
        if (n < half)
        {
            StoreFirst(value, ref destination, mask);
            return;
        }

        Permute(value, RowIndex(n, load: false)).GetLower().StoreUnsafe(ref destination, (nuint)(n - half));
        value.GetLower().StoreUnsafe(ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Permute(Vector512<T> value, Vector512<T> index) =>
        typeof(T) == typeof(float)
            ? Avx512F.PermuteVar16x32(value.AsSingle(), index.AsInt32()).As<float, T>()
            : Avx512F.PermuteVar8x64(value.AsDouble(), index.AsInt64()).As<double, T>();

    /// <summary>
    /// The lane indices for a row of n elements, n from half a register to a whole one, that put
    /// [x[0..half), x[n − half .. n)] in row order with x[0] past n (load), or that bring lanes
    /// n − half .. n − 1 down to the low half (store).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> RowIndex(int n, bool load)
    {
        int half = Vector256<T>.Count;
        nuint table = (nuint)((load ? 0 : half + 1) + (n - half));
        return typeof(T) == typeof(float)
            ? Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(RowIndex32), table * 16).As<int, T>()
            : Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(RowIndex64), table * 8).As<long, T>();
    }

    // RowIndex's tables, load then store, for float (n = 8 .. 16) and double (n = 4 .. 8): RVA data, which
    // needs no class initialization (static readonly arrays cost code compiled before the class was
    // initialized, tiered compilation off or ReadyToRun, a class-initialization check on every row).
    private static ReadOnlySpan<int> RowIndex32 =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 15, 0, 0, 0, 0, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 0, 0, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 0, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0,
        2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0,
        3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0,
        4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
        5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
        7, 8, 9, 10, 11, 12, 13, 14, 0, 0, 0, 0, 0, 0, 0, 0,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    private static ReadOnlySpan<long> RowIndex64 =>
    [
        0, 1, 2, 3, 0, 0, 0, 0,
        0, 1, 2, 3, 7, 0, 0, 0,
        0, 1, 2, 3, 6, 7, 0, 0,
        0, 1, 2, 3, 5, 6, 7, 0,
        0, 1, 2, 3, 4, 5, 6, 7,
        0, 1, 2, 3, 0, 0, 0, 0,
        1, 2, 3, 4, 0, 0, 0, 0,
        2, 3, 4, 5, 0, 0, 0, 0,
        3, 4, 5, 6, 0, 0, 0, 0,
        4, 5, 6, 7, 0, 0, 0, 0,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLanes(Vector512<T> mask) => BitOperations.PopCount(Vector512.ExtractMostSignificantBits(mask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroLanes(Vector512<T> value, Vector512<T> mask) => Vector512.ConditionalSelect(mask, default, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> KeepLanes(Vector512<T> value, Vector512<T> mask) => Vector512.ConditionalSelect(mask, value, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> ifTrue, Vector512<T> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

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
    public static double SumAcross(Vector512<T> sum)
    {
        if (typeof(T) == typeof(float))
        {
            (Vector512<double> s0, Vector512<double> s1) = Vector512.Widen(sum.AsSingle());
            return Lanes.Sum(s0 + s1);
        }

        (double hi, double lo) = SumAcrossExact(sum, default);
        return hi + lo;
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
