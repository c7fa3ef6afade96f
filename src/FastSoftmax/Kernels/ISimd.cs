using System.Numerics;

namespace FastSoftmax.Kernels;

/// <summary>
/// One register width (Vector512, Vector256, Vector128 or a single scalar) for element type
/// <typeparamref name="T"/>: the few operations every kernel is written in. Each kernel is written
/// once, generic over this interface; the JIT specializes it per width, so there is no virtual call.
/// </summary>
internal interface ISimd<TVec, T>
    where TVec : struct
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Lanes in one register.</summary>
    static abstract int Count { get; }

    /// <summary>True when <see cref="MultiplyAdd"/> rounds once (hardware FMA).</summary>
    static abstract bool HasFusedMultiplyAdd { get; }

    static abstract TVec Load(ref T source, nuint index);

    static abstract void Store(TVec value, ref T destination, nuint index);

    /// <summary>
    /// <see cref="Store"/> past the caches (a streaming store: no read of the line first), for outputs
    /// too big to stay cached. The address must be aligned to the register's size, in pinned memory.
    /// </summary>
    static abstract void StoreNonTemporal(TVec value, ref T destination, nuint index);

    /// <summary>True when <see cref="Join"/> exists (a two-register permute).</summary>
    static abstract bool HasJoin { get; }

    /// <summary>The indices for <see cref="Join"/> that take lanes shift .. shift + Count − 1 of the pair.</summary>
    static abstract TVec JoinIndices(int shift);

    /// <summary>Lane j: lane indices[j] of the pair (low's lanes, then high's), indices from <see cref="JoinIndices"/>.</summary>
    static abstract TVec Join(TVec low, TVec high, TVec indices);

    static abstract TVec Create(T value);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a * b + c: fused when <see cref="HasFusedMultiplyAdd"/>, else two roundings.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>a &gt; b ? a : b per lane, so b wherever either is NaN (x86 maxps on every platform).</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>a &lt; b ? a : b per lane, so b wherever either is NaN (x86 minps on every platform).</summary>
    static abstract TVec Min(TVec a, TVec b);

    /// <summary>0 where probe is 0, value elsewhere (so that 0·∞ counts as 0 where a weight is 0).</summary>
    static abstract TVec ZeroWhereZero(TVec value, TVec probe);

    /// <summary>
    /// True when <see cref="LoadFirst"/> and <see cref="StoreFirst"/> exist (masked loads and stores),
    /// so that a row of at most <see cref="Count"/> elements runs in one register.
    /// </summary>
    static abstract bool HasMaskedMemory { get; }

    /// <summary>A mask of lanes 0 .. n − 1, n in [1, Count].</summary>
    static abstract TVec FirstLanes(int n);

    /// <summary>The lanes of <paramref name="mask"/> read from source, <paramref name="fill"/> in the others; no other memory is touched.</summary>
    static abstract TVec LoadFirst(ref T source, TVec mask, T fill);

    /// <summary>Writes the lanes of <paramref name="mask"/> only.</summary>
    static abstract void StoreFirst(TVec value, ref T destination, TVec mask);

    /// <summary>
    /// A row of n elements (n in [1, Count], <paramref name="mask"/> its first n lanes): the row in the
    /// first n lanes, its first element in the others, reading only the row's own n elements.
    /// </summary>
    static abstract TVec LoadRow(ref T source, int n, TVec mask);

    /// <summary>The first n lanes into the row of n elements, writing only those (the inverse of <see cref="LoadRow"/>).</summary>
    static abstract void StoreRow(TVec value, ref T destination, int n, TVec mask);

    /// <summary>A mask of the lanes where a equals b.</summary>
    static abstract TVec Equal(TVec a, TVec b);

    /// <summary>How many lanes a mask holds.</summary>
    static abstract int CountLanes(TVec mask);

    /// <summary>+0 in the lanes of <paramref name="mask"/>, value in the others.</summary>
    static abstract TVec ZeroLanes(TVec value, TVec mask);

    /// <summary>value in the lanes of <paramref name="mask"/>, +0 in the others.</summary>
    static abstract TVec KeepLanes(TVec value, TVec mask);

    /// <summary><paramref name="ifTrue"/> in the lanes of <paramref name="mask"/>, <paramref name="ifFalse"/> in the others.</summary>
    static abstract TVec Select(TVec mask, TVec ifTrue, TVec ifFalse);

    /// <summary>The lanes below <paramref name="lane"/> set to +0, the others kept.</summary>
    static abstract TVec ZeroLanesBelow(TVec value, int lane);

    /// <summary>
    /// value * 2^n for integral n in [-160, 0] (float) or [-1100, 0] (double), rounded once,
    /// subnormal results included.
    /// </summary>
    static abstract TVec ScaleByPowerOfTwo(TVec value, TVec n);

    /// <summary>True when some lane of a is below the same lane of b.</summary>
    static abstract bool AnyLessThan(TVec a, TVec b);

    /// <summary>Moves the low integer bits of each lane into its exponent field (2^n from n + bias).</summary>
    static abstract TVec ShiftIntoExponent(TVec biased);

    /// <summary>The largest lane (NaN handling as <see cref="Max"/>).</summary>
    static abstract T MaxAcross(TVec value);

    /// <summary>
    /// The sum of every lane of <paramref name="sum"/> and <paramref name="compensation"/> as
    /// <c>hi + lo</c>, to a relative error near 2^-50: the fast reduction, for a reciprocal.
    /// </summary>
    static abstract (double Hi, double Lo) SumAcross(TVec sum, TVec compensation);

    /// <summary>
    /// The sum of every lane of <paramref name="sum"/> as one double, for a short row's reciprocal:
    /// float lanes widened and folded, the bits of <c>SumAcross(sum, 0)</c>'s hi where no lane is −0
    /// (its adds of the zero compensation then change nothing, and are not on the row's chain);
    /// double lanes by TwoSum across (<c>SumAcrossExact(sum, 0)</c>), hi + lo.
    /// </summary>
    static abstract double SumAcross(TVec sum);

    /// <summary>
    /// The same sum exact to ~2^-100 relative (TwoSum across the lanes), so that hi + lo − 1 keeps its
    /// relative accuracy however small: log-softmax, log-sum-exp and cross-entropy need it.
    /// </summary>
    static abstract (double Hi, double Lo) SumAcrossExact(TVec sum, TVec compensation);
}
