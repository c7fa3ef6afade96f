using System;
using System.Linq;
using FsCheck.Xunit;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// The mathematical properties of the forward kernels on random rows, in float and double. Bounds:
/// every output is within 4 ulp of the exact value (the reference tests), and an ulp is at most
/// 2^-23 (float) or 2^-52 (double) of the value, so sums and ratios of outputs inherit 4 such units.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 300)]
public class ForwardProperties
{
    private const double FloatUnit = 1.0 / (1 << 23);
    private const double DoubleUnit = 1.0 / (1L << 52);

    [Property]
    public void Softmax_rows_sum_to_one(Logits x)
    {
        float[] pf = new float[x.Values.Length];
        Softmax.Forward(x.AsSingle(), pf);
        Assert.InRange(pf.Sum(v => (double)v), 1 - (4 * FloatUnit), 1 + (4 * FloatUnit));

        double[] pd = new double[x.Values.Length];
        Softmax.Forward(x.Values, pd);
        Assert.InRange(Sum(pd), 1 - (4 * DoubleUnit), 1 + (4 * DoubleUnit));
    }

    [Property]
    public void Probabilities_lie_between_zero_and_one(Logits x)
    {
        float[] pf = new float[x.Values.Length];
        Softmax.Forward(x.AsSingle(), pf);
        Assert.All(pf, p => Assert.InRange(p, 0f, 1f));

        double[] pd = new double[x.Values.Length];
        Softmax.Forward(x.Values, pd);
        Assert.All(pd, p => Assert.InRange(p, 0d, 1d));
    }

    [Property]
    public void Argmax_is_preserved(Logits x)
    {
        float[] xf = x.AsSingle(), pf = new float[xf.Length];
        Softmax.Forward(xf, pf);
        Assert.Equal(pf.Max(), pf[Array.IndexOf(xf, xf.Max())]);

        double[] pd = new double[x.Values.Length];
        Softmax.Forward(x.Values, pd);
        Assert.Equal(pd.Max(), pd[Array.IndexOf(x.Values, x.Values.Max())]);
    }

    [Property]
    public void Larger_logits_never_get_smaller_probabilities(Logits x)
    {
        float[] xf = x.AsSingle(), pf = new float[xf.Length];
        Softmax.Forward(xf, pf);
        int[] order = Enumerable.Range(0, xf.Length).OrderBy(i => xf[i]).ToArray();
        for (int k = 1; k < order.Length; k++)
        {
            Assert.True(pf[order[k - 1]] <= pf[order[k]], $"x {xf[order[k - 1]]} <= {xf[order[k]]} but p {pf[order[k - 1]]} > {pf[order[k]]}");
        }

        double[] pd = new double[x.Values.Length];
        Softmax.Forward(x.Values, pd);
        order = Enumerable.Range(0, pd.Length).OrderBy(i => x.Values[i]).ToArray();
        for (int k = 1; k < order.Length; k++)
        {
            Assert.True(pd[order[k - 1]] <= pd[order[k]]);
        }
    }

    // x - max is carried exactly (TwoSum), so an exact shift of every logit changes nothing at all.
    [Property]
    public void Shift_does_not_change_probabilities(ShiftedLogits x)
    {
        float[] xf = x.Values.Select(v => (float)v).ToArray();
        float[] shifted = xf.Select(v => v + (float)x.Shift).ToArray();
        foreach (Op op in new[] { Op.Softmax, Op.LogSoftmax })
        {
            Assert.Equal(Ops.Public(op, xf, 1f), Ops.Public(op, shifted, 1f));
            Assert.Equal(Ops.Public(op, x.Values, 1d), Ops.Public(op, x.Values.Select(v => v + x.Shift).ToArray(), 1d));
        }
    }

    [Property]
    public void Exp_of_log_softmax_is_softmax(Logits x)
    {
        float[] xf = x.AsSingle(), pf = new float[xf.Length], yf = new float[xf.Length];
        Softmax.Forward(xf, pf);
        LogSoftmax.Forward(xf, yf);
        for (int i = 0; i < xf.Length; i++)
        {
            if (pf[i] >= 1e-30f && xf.Max() - xf[i] <= 20)
            {
                // exp turns y's 4 ulp into a relative error of 4·ulp(y); p brings 4 units of its own, exp(y) 4 more.
                double tolerance = (4 * double.CreateTruncating(MathF.BitIncrement(MathF.Abs(yf[i])) - MathF.Abs(yf[i]))) + (8 * FloatUnit);
                Assert.InRange(Math.Exp(yf[i]) / pf[i], 1 - tolerance, 1 + tolerance);
            }
        }
    }

    [Property]
    public void Log_sum_exp_lies_between_max_and_max_plus_log_n(Logits x)
    {
        float[] xf = x.AsSingle();
        float lse = LogSumExp.Compute(xf);
        Assert.InRange(lse, xf.Max(), MathF.BitIncrement((float)(xf.Max() + Math.Log(xf.Length))));

        double lsd = LogSumExp.Compute(x.Values);
        Assert.InRange(lsd, x.Values.Max(), Math.BitIncrement(x.Values.Max() + Math.Log(x.Values.Length)));
    }

    [Property]
    public void Batched_rows_equal_row_by_row(Batch batch)
    {
        foreach (Op op in Enum.GetValues<Op>())
        {
            float[] xf = batch.Values.Select(v => (float)v).ToArray();
            int perRow = Ops.OutputsPerRow(op, batch.RowLength);
            float[] all = new float[xf.Length / batch.RowLength * perRow];
            Ops.Rows<float>(op, xf, all, batch.RowLength, 1f, Kernels.KernelWidth.Vector512);
            for (int r = 0; r < xf.Length / batch.RowLength; r++)
            {
                float[] row = xf.AsSpan(r * batch.RowLength, batch.RowLength).ToArray();
                Assert.Equal(Ops.Public(op, row, 1f), all.AsSpan(r * perRow, perRow).ToArray());
            }
        }
    }

    [Property]
    public void In_place_equals_out_of_place(Batch batch)
    {
        foreach (Op op in new[] { Op.Softmax, Op.LogSoftmax })
        {
            double[] expected = new double[batch.Values.Length];
            double[] inPlace = (double[])batch.Values.Clone();
            Ops.Rows<double>(op, batch.Values, expected, batch.RowLength, 0.75, Kernels.KernelWidth.Vector512);
            Ops.Rows<double>(op, inPlace, inPlace, batch.RowLength, 0.75, Kernels.KernelWidth.Vector512);
            Assert.Equal(expected, inPlace);

            float[] xf = batch.Values.Select(v => (float)v).ToArray();
            float[] expectedF = new float[xf.Length];
            Ops.Rows<float>(op, xf, expectedF, batch.RowLength, 0.75f, Kernels.KernelWidth.Vector512);
            Ops.Rows<float>(op, xf, xf, batch.RowLength, 0.75f, Kernels.KernelWidth.Vector512);
            Assert.Equal(expectedF, xf);
        }
    }

    private static double Sum(double[] values)
    {
        // Neumaier's sum, so that the test's own rounding does not count against the kernel.
        double s = 0, c = 0;
        foreach (double v in values)
        {
            double t = s + v;
            c += Math.Abs(s) >= Math.Abs(v) ? (s - t) + v : (v - t) + s;
            s = t;
        }

        return s + c;
    }
}
