using System;
using System.Linq;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>The special-value rules of docs/semantics.md, one by one, in float and double.</summary>
public class SpecialValueTests
{
    private static readonly float[] Lengths = [1, 3, 10, 16, 17, 100];

    [Fact]
    public void Large_logits_do_not_overflow_where_TensorPrimitives_returns_NaN()
    {
        float[] p = new float[3];
        Softmax.Forward([1000f, 0f, -5f], p);
        Assert.Equal([1f, 0f, 0f], p);

        Softmax.Forward([-200f, -200f], p.AsSpan(0, 2));
        Assert.Equal([0.5f, 0.5f], p.Take(2));
    }

    [Fact]
    public void A_NaN_makes_its_whole_row_NaN_and_only_its_row()
    {
        foreach (int n in Lengths.Select(v => (int)v))
        {
            float[] x = Enumerable.Range(0, 3 * n).Select(i => (float)(i % 7)).ToArray();
            x[n + (n / 2)] = float.NaN;
            foreach (Op op in Enum.GetValues<Op>())
            {
                int perRow = Ops.OutputsPerRow(op, n);
                float[] y = new float[3 * perRow];
                Ops.Rows<float>(op, x, y, n, 1f, Kernels.KernelWidth.Vector512);
                Assert.All(y.AsSpan(perRow, perRow).ToArray(), v => Assert.True(float.IsNaN(v)));
                Assert.All(y.Take(perRow).Concat(y.Skip(2 * perRow)), v => Assert.False(float.IsNaN(v)));
            }
        }
    }

    [Fact]
    public void Negative_infinity_gets_probability_exactly_zero()
    {
        double[] x = [2, double.NegativeInfinity, 1, double.NegativeInfinity, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, double.NegativeInfinity];
        double[] p = new double[x.Length], y = new double[x.Length];
        Softmax.Forward(x, p);
        LogSoftmax.Forward(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(double.IsNegativeInfinity(x[i]), p[i] == 0);
            Assert.Equal(double.IsNegativeInfinity(x[i]), double.IsNegativeInfinity(y[i]));
        }
    }

    [Fact]
    public void A_fully_masked_row_gives_zeros_and_negative_infinities()
    {
        foreach (int n in Lengths.Select(v => (int)v))
        {
            float[] x = Enumerable.Repeat(float.NegativeInfinity, n).ToArray();
            float[] p = new float[n], y = new float[n];
            Softmax.Forward(x, p);
            LogSoftmax.Forward(x, y);
            Assert.All(p, v => Assert.Equal(0f, v));
            Assert.All(y, v => Assert.Equal(float.NegativeInfinity, v));
            Assert.Equal(float.NegativeInfinity, LogSumExp.Compute(x));
        }
    }

    [Fact]
    public void Positive_infinities_share_the_mass_equally()
    {
        float[] x = [float.PositiveInfinity, 1e30f, float.PositiveInfinity, float.NegativeInfinity, float.PositiveInfinity, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        float[] p = new float[x.Length], y = new float[x.Length];
        Softmax.Forward(x, p);
        LogSoftmax.Forward(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(float.IsPositiveInfinity(x[i]) ? 1f / 3 : 0f, p[i]);
            Assert.Equal(float.IsPositiveInfinity(x[i]) ? -MathF.Log(3) : float.NegativeInfinity, y[i]);
        }

        Assert.Equal(float.PositiveInfinity, LogSumExp.Compute(x));
    }

    [Fact]
    public void Empty_input_does_nothing_and_its_log_sum_exp_is_negative_infinity()
    {
        Softmax.Forward(ReadOnlySpan<float>.Empty, Span<float>.Empty);
        LogSoftmax.Forward(ReadOnlySpan<double>.Empty, Span<double>.Empty, rowLength: 4);
        Assert.Equal(float.NegativeInfinity, LogSumExp.Compute(ReadOnlySpan<float>.Empty));
        Assert.Equal(double.NegativeInfinity, LogSumExp.Compute(ReadOnlySpan<double>.Empty));
    }

    [Fact]
    public void Extreme_magnitudes_stay_finite()
    {
        float[] x = [float.MaxValue, -float.MaxValue, float.MaxValue / 2, 0];
        float[] p = new float[4], y = new float[4];
        Softmax.Forward(x, p);
        LogSoftmax.Forward(x, y);
        Assert.Equal([1f, 0f, 0f, 0f], p);
        Assert.Equal(0f, y[0]);
        Assert.Equal(float.NegativeInfinity, y[1]); // −2·MaxValue rounds to −∞: the correctly rounded result
        Assert.Equal(-float.MaxValue / 2, y[2]);
        Assert.Equal(float.MaxValue, LogSumExp.Compute(x));
    }

    [Fact]
    public void Subnormal_probabilities_are_produced_not_flushed()
    {
        // exp(-100) ≈ 3.7e-44 is a float subnormal: the probability must be that, not 0.
        float[] p = new float[2];
        Softmax.Forward([0f, -100f], p);
        Assert.True(float.IsSubnormal(p[1]), $"{p[1]:R}");
        Assert.Equal(MathF.Exp(-100f), p[1]);
    }
}
