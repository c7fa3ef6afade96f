using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Kernels;

/// <summary>
/// A whole call's work (every row), generic over the register width; <see cref="Dispatch.Run"/>
/// picks the width once per call. <typeparamref name="TArgs"/> carries the call's pinned buffers.
/// </summary>
internal interface IWidthKernel<TArgs, T>
    where TArgs : struct
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract void Run<TS, TVec>(in TArgs args)
        where TS : ISimd<TVec, T>
        where TVec : struct;
}

/// <summary>The buffers of a forward call: rows of x in, rows (or one value per row) out.</summary>
internal readonly unsafe struct ForwardArgs<T>(T* x, T* destination, int rows, int rowLength, T scale, bool wide)
    where T : unmanaged
{
    /// <summary>Vector512 is allowed for this call (by the hardware, the process cap and the caller's limit).</summary>
    public readonly bool Wide = wide;

    public readonly T* X = x;
    public readonly T* Destination = destination;
    public readonly int Rows = rows;
    public readonly int RowLength = rowLength;
    public readonly T Scale = scale;
}

/// <summary>Applies one row kernel to every row of a forward call.</summary>
internal readonly struct EachRow<TRow, T> : IWidthKernel<ForwardArgs<T>, T>
    where TRow : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // Its own method per width. The short-row and the long-row loops are methods of their own too, so
    // that each gets the JIT's whole inlining budget: together they exceeded it, and the passes'
    // epilogues became calls (log-softmax n = 1,000: 1.9 -> 0.5 elements/ns in a fresh process).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run<TS, TVec>(in ForwardArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        if (TS.HasMaskedMemory && args.RowLength <= TS.Count)
        {
            ShortRows<TS, TVec>(in args);
        }
        else if (TRow.HasTwoRegisterRow && args.RowLength <= 2 * TS.Count)
        {
            TwoRegisterRows<TS, TVec>(in args);
        }
        else
        {
            Rows<TS, TVec>(in args);
        }
    }

    // A loop of its own as the other two, not a branch in Rows: beside the passes (even as a call) the
    // two-register row cost their rows a third of their speed (n = 100). Fully optimized, as Rows.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TwoRegisterRows<TS, TVec>(in ForwardArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        int stride = TRow.OutputsPerRow(args.RowLength);
        for (int r = 0; r < args.Rows; r++)
        {
            TRow.TwoRegisterRow<TS, TVec>(
                ref *(args.X + ((nint)r * args.RowLength)),
                ref *(args.Destination + ((nint)r * stride)),
                (nuint)args.RowLength,
                args.Scale);
        }
    }

    // Fully optimized from its first call, as Rows: a console loop of double softmax over 25,000 rows
    // of 4 ran calls 2-100 at 1.5 ms each (tier 0, where nothing inlines) against 0.33 ms.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ShortRows<TS, TVec>(in ForwardArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        int stride = TRow.OutputsPerRow(args.RowLength);
        TVec mask = TS.FirstLanes(args.RowLength);
        int r = TRow.ShortRowBlocks<TVec>(in args);
        for (; r < args.Rows; r++)
        {
            TRow.ShortRow<TS, TVec>(
                ref *(args.X + ((nint)r * args.RowLength)),
                ref *(args.Destination + ((nint)r * stride)),
                args.RowLength,
                mask,
                args.Scale);
        }
    }

    // Fully optimized from its first call: a call over a batch of long rows takes milliseconds, and its
    // tier-0 and OSR code ran 3x slower for the first 30-60 calls (log-softmax 4,096 x 1,000: 7.0 ms
    // a call, BenchmarkDotNet measured it there). PGO adds nothing to its loops (tiered compilation off:
    // level); and no static readonly field is left for tier-1 to fold.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows<TS, TVec>(in ForwardArgs<T> args)
        where TS : ISimd<TVec, T>
        where TVec : struct
    {
        int stride = TRow.OutputsPerRow(args.RowLength);
        for (int r = 0; r < args.Rows; r++)
        {
            TRow.Row<TS, TVec>(
                ref *(args.X + ((nint)r * args.RowLength)),
                ref *(args.Destination + ((nint)r * stride)),
                (nuint)args.RowLength,
                args.Scale,
                r + 1 < args.Rows ? (nuint)args.RowLength : 0);
        }
    }
}
