using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace FastSoftmax.Kernels;

/// <summary>
/// Softmax, log-softmax and log-sum-exp of a float row too long for the cache, in fewer sweeps over
/// memory (Milakov &amp; Gimelshein's online normalizer, by blocks). Sweep 1, per block: its max m_b
/// while the block comes in, then exp(scale·(x − m_b)) summed (for softmax also stored) while the
/// block is still in cache; the row sum is kept at the running max M (rescaled by
/// exp(scale·(M_old − M)) when M grows). Softmax's sweep 2: each block times exp(scale·(m_b − M)) / Σ,
/// so x is read once and the destination written twice, where the three passes read x twice more.
/// Log-softmax's sweep 2 writes scale·(x − M) − log Σ (x read twice, not three times); log-sum-exp
/// has sweep 1 alone (x read once, not twice).
/// </summary>
/// <remarks>
/// Softmax's outputs are e·f_b with f_b rounded once from double: three roundings, as the three
/// passes' e·(1/Σ). NaN reaches every output through Σ (as in the three passes); a block whose max is
/// NaN or +∞ hands the row to <see cref="SpecialRows"/>. Blocks already written in place then hold
/// values in [0, 1] or NaN where x had none of +∞, which classify the row as the original x did.
/// </remarks>
internal static class BlockedSoftmax
{
    /// <summary>
    /// Rows from this length take the blocked sweeps: a row's x and destination together fill half
    /// of a 1 MB L2 (Zen 4 and 5, by AMD's figures), and the three passes then find less of them there. Measured on
    /// Zen 5 (profile mode, interleaved processes): softmax batches of 256 x 65,536 3.03-3.37 → 3.18-3.64
    /// elements/ns, 100 x 100,000 2.45-2.76 → 3.61-3.63, 64 x 128,256 2.39-2.53 → 2.97-3.21; one
    /// row in cache level at 65,536 and 128,256; 512 x 32,000 slower blocked (3.49-3.82 → 3.14-3.25),
    /// so rows that short keep the passes. On a 2 MB L2 (Sapphire Rapids) the two were equal from
    /// 2^16 to 2^20. Log-softmax: 64 x 128,256 2.27-2.51 → 2.73-2.95, 256 x 65,536 2.50-2.55 →
    /// 2.68-2.78, one row of 128,256 3.25-3.64 → 3.64-3.71, 2^20 2.95-3.05 → 3.40-3.43, 2^24 1.99-2.06
    /// → 2.41-2.42, 512 x 32,000 slower (2.75-3.25 → 2.63-2.66). Log-sum-exp: 64 x 128,256 4.27-4.30 →
    /// 4.72-4.73, 2^20 4.36-4.37 → 4.76-4.85, one row of 128,256 4.37-4.96 → 4.90-4.95.
    /// </summary>
    public const int MinLength = 1 << 16;

    /// <summary>
    /// Whether a row takes the blocked sweeps: float rows from <see cref="MinLength"/> (the factors are
    /// formed in double, which has the digits to spare for float only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Takes<T>(nuint n) => typeof(T) == typeof(float) && n >= MinLength;

    /// <summary>Elements per block: 16 KB of floats, within L1 with its destination block.</summary>
    public const int BlockLength = 4096;

    private const int MaxBlocks = 1024;

    /// <summary>
    /// Rows from this length write sweep 1's terms with streaming stores (RowPasses.ExpSubtractMaxSum):
    /// the destination's lines then reach memory before sweep 2 reads them anyway, and a streaming
    /// store spares the read of each line before it is written. Measured on a 32 MB L3: 2^24 1.57 →
    /// 1.68-1.70 elements/ns, 2^23 level, 2^22 1.95 → 1.65 (there sweep 2 still finds lines in L3).
    /// The same bits either way.
    /// </summary>
    public const int MinStreamingLength = 1 << 24;

    /// <summary>Softmax of the row: sweep 1 storing the terms (streamed from <paramref name="minStreamingLength"/>), then sweep 2 scaling each block.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Run<TS, TVec, T>(ref T x, ref T destination, nuint n, T scale, nuint blockLength = BlockLength, nuint minStreamingLength = MinStreamingLength)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        fixed (T* pinned = &destination)
        {
            Sweeps<TS, TVec, T>(ref x, ref *pinned, n, scale, blockLength, minStreamingLength);
        }
    }

    private static unsafe void Sweeps<TS, TVec, T>(ref T x, ref T destination, nuint n, T scale, nuint blockLength, nuint minStreamingLength)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        blockLength = FittedBlockLength<TS, TVec, T>(n, blockLength);
        bool streaming = n >= minStreamingLength && TS.Count > 1 && TS.HasJoin && (nuint)Unsafe.AsPointer(ref destination) % (nuint)sizeof(T) == 0;
        nuint blocks = n / blockLength; // the last block also takes the remainder
        Span<T> maxes = stackalloc T[MaxBlocks];
        bool ordinary = BlockSums<TS, TVec, T>(ref x, ref destination, n, scale, blockLength, maxes, store: true, streaming, out T rowMax, out double sumHi, out double sumLo);
        FenceStreamingStores(streaming);
        if (!ordinary || (rowMax == T.NegativeInfinity && !double.IsNaN(sumHi)))
        {
            SpecialRows.Softmax(ref x, ref destination, n); // NaN or +∞ in a block, or fully masked (x untouched)
            return;
        }

        double inverse = 1.0 / (sumHi + sumLo);
        for (nuint b = 0; b < blocks; b++)
        {
            (nuint start, nuint length) = Block(b, blocks, blockLength, n);
            ref T db = ref Unsafe.Add(ref destination, start);
            double f = Factor(maxes[(int)b], rowMax, scale) * inverse;
            if (maxes[(int)b] == T.NegativeInfinity)
            {
                MemoryMarshal.CreateSpan(ref db, (int)length).Fill(double.IsNaN(f) ? T.NaN : T.Zero);
            }
            else
            {
                // A factor below float's normal range has an absolute error under 2^-150, and e ≤ 1:
                // such outputs stay within an ulp and a half of theirs.
                RowPasses.Scale<TS, TVec, T>(ref db, length, T.CreateTruncating(f));
            }
        }
    }

    /// <summary>
    /// Log-softmax of a float row as long: sweep 1 stores nothing and sums as the three passes'
    /// log-softmax does (the exact fold where a block's sum is below RowPasses.NearOne), then one pass
    /// writes scale·(x − M) − log Σ. x is read twice where the passes read it three times, and the
    /// max and the sum read each block from L1. log Σ keeps its relative accuracy: the block at M has
    /// the factor 1 exactly, and every other block's sum and factor are within a few double ulps of
    /// theirs, relative to what the block adds to Σ − 1 when Σ is near 1.
    /// </summary>
    // Fully optimized from its first call, as EachRow.Rows: at tier 0 nothing inlines, and a console
    // loop ran the 2nd to 50th calls on 128,256 floats at 2.2-2.4 ms each (log-sum-exp 2.0-2.2),
    // the 51st to 100th at 0.6-0.7, against 36 µs (26) fully optimized from the second call on.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void LogSoftmax<TS, TVec, T>(ref T x, ref T destination, nuint n, T scale, nuint blockLength = BlockLength)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!BlockSums<TS, TVec, T>(ref x, ref destination, n, scale, blockLength, default, store: false, streaming: false, out T rowMax, out double sumHi, out double sumLo)
            || rowMax == T.NegativeInfinity)
        {
            SpecialRows.LogSoftmax(ref x, ref destination, n);
            return;
        }

        (T logHi, T logLo) = LogOfSum.Split<T>(sumHi, sumLo, sameAsLanes: false);
        RowPasses.SubtractMaxAndLogSum<TS, TVec, T>(ref x, ref destination, n, rowMax, scale, logHi, logLo);
    }

    /// <summary>Log-sum-exp of a float row as long: sweep 1 alone, so x is read once where the passes read it twice.</summary>
    // Fully optimized from its first call, as LogSoftmax above.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T LogSumExp<TS, TVec, T>(ref T x, nuint n, T scale, nuint blockLength = BlockLength)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        BlockSums<TS, TVec, T>(ref x, ref x, n, scale, blockLength, default, store: false, streaming: false, out T rowMax, out double sumHi, out double sumLo)
            && rowMax != T.NegativeInfinity
            ? LogOfSum.AddScaledMax(sumHi, sumLo, rowMax, scale, sameAsLanes: false)
            : SpecialRows.LogSumExp(ref x, n);

    /// <summary>
    /// Sweep 1: per block its max m_b, then Σ exp(scale·(x − m_b)) while the block is in cache
    /// (with <paramref name="store"/>, the terms written to the destination and the maxes kept for
    /// sweep 2; without, the exact sum log Σ needs), the row's sum kept at the running max.
    /// False where a block's max is NaN or +∞: the row is a special one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool BlockSums<TS, TVec, T>(ref T x, ref T destination, nuint n, T scale, nuint blockLength, Span<T> maxes, bool store, bool streaming, out T rowMax, out double sumHi, out double sumLo)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint blocks = n / blockLength; // the last block also takes the remainder
        sumHi = 0;
        sumLo = 0;
        rowMax = T.NegativeInfinity;
        for (nuint b = 0; b < blocks; b++)
        {
            (nuint start, nuint length) = Block(b, blocks, blockLength, n);
            ref T xb = ref Unsafe.Add(ref x, start);
            T m = RowPasses.Max<TS, TVec, T>(ref xb, length);
            if (store)
            {
                maxes[(int)b] = m;
            }

            if (T.IsNaN(m) || T.IsPositiveInfinity(m))
            {
                return false;
            }

            if (m == T.NegativeInfinity)
            {
                // Left unwritten until sweep 2; its NaNs (which a max may drop) still reach Σ.
                sumHi += MemoryMarshal.CreateReadOnlySpan(ref xb, (int)length).ContainsAnyExcept(T.NegativeInfinity) ? double.NaN : 0;
                continue;
            }

            (double hi, double lo) = RowPasses.ExpSubtractMaxSum<TS, TVec, T>(ref xb, ref Unsafe.Add(ref destination, start), length, m, scale, store, exact: !store, b + 1 < blocks ? blockLength : 0, streaming, exactOnlyNearOne: !store);
            if (m > rowMax)
            {
                double f = Factor(rowMax, m, scale);
                (sumHi, sumLo) = (sumHi * f, sumLo * f);
                rowMax = m;
            }
            else
            {
                double f = Factor(m, rowMax, scale);
                (hi, lo) = (hi * f, lo * f);
            }

            ExactArithmetic.Accumulate(ref sumHi, ref sumLo, hi);
            sumLo += lo;
        }

        return true;
    }

    /// <summary>
    /// Softmax's block length: made longer where the row would have more blocks than the
    /// <see cref="MaxBlocks"/> maxes sweep 2 keeps on the stack (log-softmax and log-sum-exp keep none,
    /// so their blocks stay in L1 at any length: log-sum-exp 2^24 4.05-4.26 → 4.33-4.70 elements/ns);
    /// float rows only.
    /// </summary>
    private static nuint FittedBlockLength<TS, TVec, T>(nuint n, nuint blockLength)
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Float only, as Takes says: the rows reach here through it, and a direct call must not pass a double row.
        if (typeof(T) != typeof(float))
        {
            throw new NotSupportedException();
        }

        nuint c = (nuint)TS.Count;
        return n / blockLength > MaxBlocks ? (((n + MaxBlocks - 1) / MaxBlocks) + c - 1) / c * c : blockLength;
    }

    /// <summary>Streaming stores are not ordered with the stores that follow them: they land first.</summary>
    private static void FenceStreamingStores(bool streaming)
    {
        if (streaming && Sse.IsSupported)
        {
            Sse.StoreFence();
        }
    }

    private static (nuint Start, nuint Length) Block(nuint b, nuint blocks, nuint blockLength, nuint n) =>
        (b * blockLength, b == blocks - 1 ? n - (b * blockLength) : blockLength);

    /// <summary>exp(scale·(lower − upper)) in double, within a few double ulps (0 for a lower of −∞).</summary>
    private static double Factor<T>(T lower, T upper, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        lower == T.NegativeInfinity ? 0 : Math.Exp(double.CreateTruncating(scale) * (double.CreateTruncating(lower) - double.CreateTruncating(upper)));
}
