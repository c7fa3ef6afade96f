using System;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>No kernel call allocates, at any size or width (measured on this thread).</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    [InlineData(32000)]
    [InlineData(Kernels.BlockedSoftmax.MinLength)]
    [InlineData(128_256)]
    public void Kernel_calls_allocate_nothing(int rowLength)
    {
        int rows = rowLength <= 16 ? 32 : 4; // short rows: two of the 16-row transposed blocks
        float[] xf = new float[rows * rowLength], yf = new float[rows * rowLength], lf = new float[rows];
        double[] xd = new double[rows * rowLength], yd = new double[rows * rowLength], ld = new double[rows];
        for (int i = 0; i < xf.Length; i++)
        {
            xd[i] = i % 13;
            xf[i] = i % 13;
        }

        void All()
        {
            Softmax.Forward(xf, yf, rowLength, 0.5f);
            Softmax.Forward(xd.AsSpan(0, rowLength), yd.AsSpan(0, rowLength));
            LogSoftmax.Forward(xf, xf, rowLength);
            LogSoftmax.Forward(xd, yd, rowLength, 2.0);
            LogSumExp.Compute(xf, lf, rowLength);
            LogSumExp.Compute(xd, ld, rowLength);
            _ = LogSumExp.Compute(xf.AsSpan(0, rowLength));
            LogSoftmax.Forward(xf.AsSpan(0, rowLength), yf.AsSpan(0, rowLength));
            Softmax.Forward(xf.AsSpan(rowLength, rowLength), yf.AsSpan(rowLength, rowLength));
        }

        All(); // JIT and static initialization happen here

        // A window of 10 calls each, up to 5 windows: the JIT may still compile on this thread now and
        // then (OSR, tier-up, while the rest of the suite keeps the tiering delay going; seen once at
        // 7,896 B with DOTNET_EnableHWIntrinsic=0), which allocates once; a call that allocates would
        // show in every window.
        long least = long.MaxValue;
        for (int window = 0; window < 5 && least > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                All();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }
}
