using System;
using System.Collections.Generic;
using System.Linq;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// The sum pass clamps x to a floor, max + (cutoff + 3)/scale, below which every exp(scale·(x − max))
/// is +0, wherever that floor can be formed in float; rows whose max is too large for it keep the
/// clamps on the difference. Entries just above and below the underflow and the floor, on both sides
/// of that guard, against a reference in double (x − max is exact there for float inputs): zero exactly
/// where the reference rounds to zero, within 4 ulp where the output is at least 1e-30, 64 elsewhere.
/// </summary>
public class ExpFloorTests
{
    public static IEnumerable<object[]> WidthsAndOps =>
        from w in Dispatch.Supported
        from op in Enum.GetValues<Op>()
        select new object[] { (int)w, op };

    [Theory]
    [MemberData(nameof(WidthsAndOps))]
    public void Entries_around_the_floor_match_the_reference_with_and_without_it(int width, Op op)
    {
        // From a max near 0 (the floor exact) through 2^24 and 2^26 (the floor rounded by up to 4) to
        // 1e30 (no floor: the clamps), at scales that move the floor in and out.
        foreach (float max in new[] { 0f, 3.5f, -1e6f, 1e5f, 16777216f, 67108864f, 1e30f })
        {
            foreach (float scale in new[] { 1f, 0.01f, 40f })
            {
                float[] x = Row(max, scale, new Random(7));
                float[] y = new float[Ops.OutputsPerRow(op, x.Length)];
                Ops.Rows<float>(op, x, y, x.Length, scale, (KernelWidth)width);
                double[] expected = Reference(op, x, scale);
                for (int i = 0; i < y.Length; i++)
                {
                    float want = (float)expected[i];
                    long bound = Math.Abs(want) >= 1e-30f || float.IsInfinity(want) ? 4 : 64;
                    Assert.True(
                        want == 0 ? y[i] == 0 : Ulp.Distance(y[i], want) <= bound,
                        $"max {max}, scale {scale}, [{i}] = {x[i]:R}: got {y[i]:R}, want {want:R}");
                }
            }
        }
    }

    private static float[] Row(float max, float scale, Random random)
    {
        // Offsets in units of 1/scale: the underflow (e^-103.97 = 2^-150), the floor (-107), the cutoff.
        double[] offsets = [-103.5, -103.9, -103.98, -104, -104.5, -106.9, -107, -107.1, -110, -111, -200, -1e4];
        var row = new List<float> { max };
        row.AddRange(offsets.Select(d => (float)(max + (d / scale))));
        row.Add(float.NegativeInfinity);
        while (row.Count < 45)
        {
            row.Add((float)(max - (20 * random.NextDouble() / scale)));
        }

        return [.. row];
    }

    private static double[] Reference(Op op, float[] x, float scale)
    {
        double max = x.Max();
        double[] d = x.Select(v => scale * (v - max)).ToArray(); // v - max exact for floats
        double sum = d.Sum(Math.Exp);
        return op switch
        {
            Op.Softmax => d.Select(v => Math.Exp(v) / sum).ToArray(),
            Op.LogSoftmax => d.Select(v => v - Math.Log(sum)).ToArray(),
            _ => [(scale * max) + Math.Log(sum)],
        };
    }
}
