using System;
using System.Collections.Generic;
using System.Linq;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// The passes whose result does not depend on how elements are grouped in registers (max, scale,
/// log-softmax's last pass) start their loops at a register-aligned address. The answer must not
/// depend on where a row sits in memory: every offset of the input and of the output within a
/// Vector512, in and out of place, gives the bits of the row at offset 0, on every width.
/// </summary>
public class AlignmentTests
{
    public static IEnumerable<object[]> Cases =>
        from w in Dispatch.Supported
        from op in Enum.GetValues<Op>()
        from n in new[] { 67, 300, 4103 }
        select new object[] { (int)w, op, n };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Results_do_not_depend_on_where_the_row_sits_in_memory(int width, Op op, int n)
    {
        var random = new Random(n);
        float[] row = Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 40) - 20)).ToArray();
        int outputs = Ops.OutputsPerRow(op, n);
        float[] expected = new float[outputs];
        Ops.Rows<float>(op, row, expected, n, 1f, (KernelWidth)width);
        for (int xOffset = 0; xOffset < 16; xOffset++)
        {
            float[] input = new float[n + 16];
            row.CopyTo(input, xOffset);
            for (int yOffset = 0; yOffset < 16; yOffset += 3)
            {
                float[] output = new float[outputs + 16];
                Ops.Rows<float>(op, input.AsSpan(xOffset, n), output.AsSpan(yOffset, outputs), n, 1f, (KernelWidth)width);
                Assert.Equal(Ulp.Bits(expected), Ulp.Bits(output.AsSpan(yOffset, outputs)));
                Assert.All(output.Take(yOffset).Concat(output.Skip(yOffset + outputs)), v => Assert.Equal(0f, v));
            }

            if (op != Op.LogSumExp)
            {
                float[] inPlace = (float[])input.Clone();
                Ops.Rows<float>(op, inPlace.AsSpan(xOffset, n), inPlace.AsSpan(xOffset, n), n, 1f, (KernelWidth)width);
                Assert.Equal(Ulp.Bits(expected), Ulp.Bits(inPlace.AsSpan(xOffset, n)));
            }
        }
    }

    /// <summary>
    /// Cross-entropy's rows longer than a register (hard labels with smoothing, soft targets with
    /// class weights; their max pass is one of the aligned ones): the loss and every gradient entry at
    /// every offset of the logits and of the gradient within a Vector512, and in place, are the bits of
    /// offset 0.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cross_entropy_does_not_depend_on_where_the_rows_sit_in_memory(bool soft)
    {
        const int rows = 3, classes = 300, n = rows * classes;
        var random = new Random(11);
        float[] logits = Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 40) - 20)).ToArray();
        float[] targets = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() / classes).ToArray();
        float[] weights = Enumerable.Range(0, classes).Select(_ => (float)random.NextDouble() + 0.5f).ToArray();
        int[] labels = [5, 299, 0];
        float Run(ReadOnlySpan<float> z, Span<float> g) => soft
            ? CrossEntropy.LossAndGradient(z, targets, g, classes, classWeights: weights)
            : CrossEntropy.LossAndGradient(z, labels, g, classes, labelSmoothing: 0.1f);

        float[] expected = new float[n];
        float expectedLoss = Run(logits, expected);
        for (int zOffset = 0; zOffset < 16; zOffset++)
        {
            float[] input = new float[n + 16];
            logits.CopyTo(input, zOffset);
            for (int gOffset = 0; gOffset < 16; gOffset += 5)
            {
                float[] gradient = new float[n + 16];
                Assert.Equal(Ulp.Bits(expectedLoss), Ulp.Bits(Run(input.AsSpan(zOffset, n), gradient.AsSpan(gOffset, n))));
                Assert.Equal(Ulp.Bits(expected), Ulp.Bits(gradient.AsSpan(gOffset, n)));
            }

            Assert.Equal(Ulp.Bits(expectedLoss), Ulp.Bits(Run(input.AsSpan(zOffset, n), input.AsSpan(zOffset, n))));
            Assert.Equal(Ulp.Bits(expected), Ulp.Bits(input.AsSpan(zOffset, n)));
        }
    }
}
