using System;
using System.Linq;
using System.Numerics;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// Rows split across threads (maxDegreeOfParallelism) give the single-thread bits, for every forward
/// operation, float and double, short and long rows, special rows inside the chunks, in and out of place.
/// </summary>
public class ParallelRowsTests
{
    public static TheoryData<Op, int, int> Shapes => new()
    {
        { Op.Softmax, 10, 9_001 },     // short rows: the 16-row blocks, a partial block at the end
        { Op.Softmax, 1_000, 131 },
        { Op.LogSoftmax, 17, 6_000 },
        { Op.LogSoftmax, 3_000, 40 },
        { Op.LogSumExp, 10, 9_001 },
        { Op.LogSumExp, 1_000, 131 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Split_rows_give_the_single_thread_bits(Op op, int rowLength, int rows)
    {
        Check<float>(op, rowLength, rows);
        Check<double>(op, rowLength, rows);
    }

    [Fact]
    public void A_batch_of_these_shapes_is_split_into_chunks()
    {
        // So the test above runs the split path whatever the machine's processor count.
        foreach ((int rowLength, int rows) in new[] { (10, 9_001), (1_000, 131), (17, 6_000), (3_000, 40) })
        {
            Assert.True(RanSplit(rowLength, rows), $"{rows} x {rowLength} was not split");
        }

        Assert.False(RanSplit(10, 6_000), "60,000 elements are below two chunks and stay on this thread");
    }

    [Fact]
    public void A_small_batch_stays_on_this_thread_and_allocates_nothing()
    {
        float[] x = Enumerable.Range(0, 6_000).Select(i => (float)(i % 7)).ToArray(), y = new float[x.Length];
        Softmax.Forward(x, y, 10, maxDegreeOfParallelism: -1);
        long least = long.MaxValue;
        for (int window = 0; window < 5 && least > 0; window++) // as AllocationTests: a JIT compile may allocate once
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                Softmax.Forward(x, y, 10, maxDegreeOfParallelism: -1);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }

    private static bool RanSplit(int rowLength, int rows) =>
        RowChunks<SoftmaxRow<float>, float>.Chunks(rows, rowLength, threads: 2) >= 2;

    private static void Check<T>(Op op, int rowLength, int rows)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var random = new Random(rowLength + rows);
        T[] x = Enumerable.Range(0, rowLength * rows).Select(_ => T.CreateTruncating(16 * (random.NextDouble() - 0.5))).ToArray();
        x[(rows / 3 * rowLength) + 1] = T.NaN;
        x.AsSpan(rows / 2 * rowLength, rowLength).Fill(T.NegativeInfinity);
        x[(rows - 2) * rowLength] = T.PositiveInfinity;
        int outputs = Ops.OutputsPerRow(op, rowLength) * rows;
        T[] single = new T[outputs];
        Run(op, x, single, rowLength, threads: 1);
        foreach (int threads in new[] { -1, 2, 3 })
        {
            T[] split = new T[outputs];
            Run(op, x, split, rowLength, threads);
            Assert.Equal(single.Select(Ulp.Bits), split.Select(Ulp.Bits));
            if (op != Op.LogSumExp)
            {
                T[] inPlace = (T[])x.Clone();
                Run(op, inPlace, inPlace, rowLength, threads);
                Assert.Equal(single.Select(Ulp.Bits), inPlace.Select(Ulp.Bits));
            }
        }
    }

    private static void Run<T>(Op op, T[] x, T[] destination, int rowLength, int threads)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(0.75);
        switch (op)
        {
            case Op.Softmax:
                Entry.Rows<SoftmaxRow<T>, T>(x, destination, rowLength, scale, maxDegreeOfParallelism: threads);
                break;
            case Op.LogSoftmax:
                Entry.Rows<LogSoftmaxRow<T>, T>(x, destination, rowLength, scale, maxDegreeOfParallelism: threads);
                break;
            default:
                Entry.Rows<LogSumExpRow<T>, T>(x, destination, rowLength, scale, maxDegreeOfParallelism: threads);
                break;
        }
    }

}
