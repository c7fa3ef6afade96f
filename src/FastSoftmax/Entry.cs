using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastSoftmax.Kernels;

namespace FastSoftmax;

/// <summary>
/// Validation shared by every public entry point, done once and before anything is written, then
/// the hand-off to <see cref="Dispatch"/>.
/// </summary>
internal static class Entry
{
    public static void Rows<TKernel, T>(ReadOnlySpan<T> x, Span<T> destination, int rowLength, T scale, KernelWidth limit = KernelWidth.Vector512, int maxDegreeOfParallelism = 1)
        where TKernel : IRowKernel<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (maxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "maxDegreeOfParallelism must be -1 (every processor) or at least 1.");
        }

        if (!T.IsFinite(scale) || scale <= T.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be finite and greater than zero.");
        }

        // One row (the single-vector calls) needs no division.
        int rows = x.Length == rowLength ? 1 : Math.DivRem(x.Length, rowLength, out int remainder) is var q && remainder == 0 ? q : -1;
        if (rows < 0)
        {
            throw new ArgumentException($"x.Length ({x.Length}) is not a multiple of rowLength ({rowLength}).", nameof(x));
        }

        int outputsPerRow = TKernel.OutputsPerRow(rowLength);
        int expected = rows * outputsPerRow;
        if (destination.Length != expected)
        {
            throw new ArgumentException($"destination.Length ({destination.Length}) must be {expected}: {(outputsPerRow == 1 ? "one value per row" : "x.Length")}.", nameof(destination));
        }

        if (x.Overlaps(destination, out int offset) && (offset != 0 || outputsPerRow != rowLength))
        {
            throw new ArgumentException(outputsPerRow == rowLength
                ? "destination may be exactly x (in place) but must not otherwise overlap it."
                : "destination must not overlap x.", nameof(destination));
        }

        if (x.IsEmpty)
        {
            return;
        }

        KernelWidth width = Dispatch.ChooseForShortRows<T>(rowLength, limit);
        if (rows == 1 &&
            Dispatch.TryOneShortRow<TKernel, T>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(destination), rowLength, scale, width))
        {
            return;
        }

        unsafe
        {
            fixed (T* px = x, pd = destination)
            {
                var args = new ForwardArgs<T>(px, pd, rows, rowLength, scale, Dispatch.AllowsVector512<T>(limit));
                int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : Math.Min(maxDegreeOfParallelism, Environment.ProcessorCount);
                if (threads == 1 || !RowChunks<TKernel, T>.TryRun(in args, width, threads))
                {
                    Dispatch.Run<EachRow<TKernel, T>, ForwardArgs<T>, T>(in args, width);
                }
            }
        }
    }

    /// <summary>
    /// The single-vector form: one row of x.Length elements; nothing to do when x is empty. The row goes
    /// straight to its kernel with only the checks one row needs: behind <see cref="Rows"/>, its
    /// general checks were a third of a 10-float softmax's time (perf, 28 ns a call).
    /// Inlined into the public method, with its throws out of line: as a call of its own (dynamic PGO
    /// off, tiering off, or a caller PGO chose not to inline it into) a 10-float softmax took 16.0-16.7
    /// ns a call instead of 12.7-13.1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SingleRow<TKernel, T>(ReadOnlySpan<T> x, Span<T> destination, KernelWidth limit = KernelWidth.Vector512)
        where TKernel : IRowKernel<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (destination.Length != x.Length)
        {
            ThrowDestinationLength();
        }

        if (x.IsEmpty)
        {
            return;
        }

        if (OverlapsButNotExactly(x, destination))
        {
            ThrowPartialOverlap();
        }

        Dispatch.OneRow<TKernel, T>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(destination), x.Length, limit);
    }

    [DoesNotReturn]
    private static void ThrowDestinationLength() =>
        throw new ArgumentException("destination.Length must equal x.Length.", "destination");

    [DoesNotReturn]
    private static void ThrowPartialOverlap() =>
        throw new ArgumentException("destination may be exactly x (in place) but must not otherwise overlap it.", "destination");

    /// <summary>
    /// x.Overlaps(destination, out offset) &amp;&amp; offset != 0 for non-empty spans of equal length, without
    /// the call: a short row's whole softmax is a few times its cost.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool OverlapsButNotExactly<T>(ReadOnlySpan<T> x, Span<T> destination)
    {
        nint distance = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(destination));
        nuint bytes = (nuint)x.Length * (nuint)Unsafe.SizeOf<T>();

        // -bytes < distance < bytes, in one unsigned comparison.
        return distance != 0 && (nuint)distance + bytes - 1 < 2 * bytes - 1;
    }

    public static T LogSumExp<T>(ReadOnlySpan<T> x, KernelWidth limit = KernelWidth.Vector512)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (x.IsEmpty)
        {
            return T.NegativeInfinity;
        }

        T result = default;
        Dispatch.OneRow<LogSumExpRow<T>, T>(ref MemoryMarshal.GetReference(x), ref result, x.Length, limit);
        return result;
    }
}
