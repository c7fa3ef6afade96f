using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>One element at a time: the path without SIMD, and rows shorter than the narrowest register.</summary>
internal readonly struct SimdScalar<T> : ISimd<T, T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static int Count => 1;

    // The same rounding as the vector widths in this process: fused only where the hardware fuses.
    public static bool HasFusedMultiplyAdd => Fma.IsSupported || AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ref T source, nuint index) => Unsafe.Add(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T value, ref T destination, nuint index) => Unsafe.Add(ref destination, index) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(T value, ref T destination, nuint index) => Store(value, ref destination, index);

    public static bool HasJoin => true;

    public static T JoinIndices(int shift) => T.CreateTruncating(shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Join(T low, T high, T indices) => indices == T.Zero ? low : high;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Create(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Subtract(T a, T b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MultiplyAdd(T a, T b, T c) => HasFusedMultiplyAdd ? T.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(T a, T b) => a > b ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Min(T a, T b) => a < b ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ZeroWhereZero(T value, T probe) => probe == T.Zero ? T.Zero : value;

    // One lane: a row of one element is the whole register.
    public static bool HasMaskedMemory => true;

    public static T FirstLanes(int n) => T.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LoadFirst(ref T source, T mask, T fill) => source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreFirst(T value, ref T destination, T mask) => destination = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LoadRow(ref T source, int n, T mask) => LoadFirst(ref source, mask, source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(T value, ref T destination, int n, T mask) => StoreFirst(value, ref destination, mask);

    // A scalar mask is 1 (set) or 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Equal(T a, T b) => a == b ? T.One : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLanes(T mask) => mask != T.Zero ? 1 : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ZeroLanes(T value, T mask) => mask != T.Zero ? T.Zero : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T KeepLanes(T value, T mask) => mask != T.Zero ? value : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Select(T mask, T ifTrue, T ifFalse) => mask != T.Zero ? ifTrue : ifFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ZeroLanesBelow(T value, int lane) => lane > 0 ? T.Zero : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleByPowerOfTwo(T value, T n) => T.ScaleB(value, int.CreateSaturating(n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyLessThan(T a, T b) => a < b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ShiftIntoExponent(T biased) =>
        typeof(T) == typeof(float)
            ? T.CreateTruncating(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(float.CreateTruncating(biased)) << 23))
            : T.CreateTruncating(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(double.CreateTruncating(biased)) << 52));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(T value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcross(T sum, T compensation) =>
        (double.CreateTruncating(sum), double.CreateTruncating(compensation));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(T sum) => double.CreateTruncating(sum);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Hi, double Lo) SumAcrossExact(T sum, T compensation) => SumAcross(sum, compensation);
}
