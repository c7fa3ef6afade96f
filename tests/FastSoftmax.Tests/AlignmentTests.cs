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
}
