using System;
using System.Numerics;
using System.Threading;

namespace FastSoftmax.Kernels;

/// <summary>
/// The rows of one forward call split into chunks that the calling thread and up to
/// <c>threads − 1</c> thread-pool threads take one at a time. Rows never depend on each other and
/// each is computed by the same kernel at the same width, so the result is bit for bit the
/// single-thread one. The caller takes chunks too and then waits only for chunks already taken: a
/// pool thread that starts late finds none left, so a busy pool slows the call but never blocks it.
/// </summary>
internal sealed class RowChunks<TRow, T> : IThreadPoolWorkItem
    where TRow : IRowKernel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Elements a chunk holds at least: about 10 µs of work, well above a pool thread's wake-up.</summary>
    public const int MinChunkElements = 1 << 15;

    private readonly ForwardArgs<T> args;
    private readonly KernelWidth width;
    private readonly int rowsPerChunk;
    private readonly int chunks;
    private int next;
    private int done;

    private RowChunks(in ForwardArgs<T> args, KernelWidth width, int rowsPerChunk)
    {
        this.args = args;
        this.width = width;
        this.rowsPerChunk = rowsPerChunk;
        chunks = (args.Rows + rowsPerChunk - 1) / rowsPerChunk;
    }

    /// <summary>The chunks a call of this shape is split into on that many threads; below 2, it is not split.</summary>
    public static int Chunks(int rows, int rowLength, int threads) =>
        threads < 2 || rows < 2 ? 0 : (int)Math.Min((long)rows * rowLength / MinChunkElements, 4L * threads); // four a thread: even finishing times

    /// <summary>
    /// Runs every row of <paramref name="args"/> on up to <paramref name="threads"/> threads, this one
    /// included; false (nothing done) where the call is too small to gain from another thread. Allocates
    /// the one work item the thread pool is handed.
    /// </summary>
    public static bool TryRun(in ForwardArgs<T> args, KernelWidth width, int threads)
    {
        int chunkCount = Chunks(args.Rows, args.RowLength, threads);
        if (chunkCount < 2)
        {
            return false;
        }

        // Whole blocks of 16 rows, so every chunk but the last keeps the short-row blocks full.
        int rowsPerChunk = (args.Rows + chunkCount - 1) / chunkCount;
        rowsPerChunk = Math.Min(args.Rows, (rowsPerChunk + SoftmaxBlocks.Rows - 1) / SoftmaxBlocks.Rows * SoftmaxBlocks.Rows);
        var work = new RowChunks<TRow, T>(in args, width, rowsPerChunk);
        for (int helper = 1; helper < Math.Min(threads, work.chunks); helper++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }

        work.Execute();
        // Spins and yields, but never sleeps: SpinWait's default Thread.Sleep(1) after 20 spins cost a
        // millisecond, longer than most calls, whenever this thread finished its chunks first (two
        // threads, Zen 4: 4,096 x 1,000 2.85-3.39 -> 4.87-5.09 elements/ns, 100,000 x 10 1.01-1.81 ->
        // 1.93-2.37, against 2.65 and 1.38 on one). The wait is at most the chunk a pool thread runs.
        var spin = default(SpinWait);
        while (Volatile.Read(ref work.done) < work.chunks)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    /// <summary>Takes chunks until none are left.</summary>
    public unsafe void Execute()
    {
        int stride = TRow.OutputsPerRow(args.RowLength);
        for (int chunk = Interlocked.Increment(ref next) - 1; chunk < chunks; chunk = Interlocked.Increment(ref next) - 1)
        {
            int first = chunk * rowsPerChunk;
            var part = new ForwardArgs<T>(
                args.X + ((nint)first * args.RowLength),
                args.Destination + ((nint)first * stride),
                Math.Min(rowsPerChunk, args.Rows - first),
                args.RowLength,
                args.Scale,
                args.Wide);
            Dispatch.Run<EachRow<TRow, T>, ForwardArgs<T>, T>(in part, width);
            Interlocked.Increment(ref done);
        }
    }
}
