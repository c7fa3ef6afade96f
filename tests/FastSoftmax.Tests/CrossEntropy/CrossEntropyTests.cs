using System;
using System.Collections.Generic;
using System.Linq;
using FastSoftmax.Kernels;
using FsCheck.Xunit;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>Properties of the fused loss and gradient, finite differences, bad input and allocations.</summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 200)]
public class CrossEntropyTests
{
    private static readonly double[] Weights5 = [0.5, 2, 1, 0, 1.5];

    public static IEnumerable<object[]> OptionCombinations()
    {
        foreach (bool soft in new[] { false, true })
        {
            foreach (bool weighted in new[] { false, true })
            {
                foreach (double smoothing in new[] { 0.0, 0.15 })
                {
                    foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum })
                    {
                        yield return new object[] { soft, weighted, smoothing, reduction };
                    }
                }
            }
        }
    }

    // Central differences in double: (L(z + h) − L(z − h)) / 2h has error O(h²) + rounding/h; with
    // h = 1e-5 both are near 1e-10, far inside the 1e-7 bound.
    [Theory]
    [MemberData(nameof(OptionCombinations))]
    public void Gradient_matches_central_finite_differences(bool soft, bool weighted, double smoothing, Reduction reduction)
    {
        var random = new Random(7);
        const int classes = 5, rows = 4;
        double[] logits = Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 6) - 3).ToArray();
        double[] targets = Enumerable.Range(0, rows * classes).Select(_ => random.NextDouble() / 2.5).ToArray();
        var call = new CrossEntropyCall<double>(
            logits, classes,
            Labels: soft ? null : [1, CrossEntropy.DefaultIgnoreIndex, 4, 0],
            Targets: soft ? targets : null,
            Weights: weighted ? Weights5 : null,
            Smoothing: smoothing,
            Reduction: reduction);
        double[] gradient = call.Run().Gradient;
        const double h = 1e-5;
        for (int i = 0; i < logits.Length; i++)
        {
            double[] plus = (double[])logits.Clone(), minus = (double[])logits.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (call.WithLogits(plus).LossOnly() - call.WithLogits(minus).LossOnly()) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) < 1e-7, $"[{i}] analytic {gradient[i]:R}, numeric {numeric:R}");
        }
    }

    [Property]
    public void Gradient_is_softmax_minus_one_hot_and_rows_sum_to_zero(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        int[] labels = Enumerable.Range(0, rows).Select(r => (r * 7) % classes).ToArray();
        double[] gradient = new double[batch.Values.Length], p = new double[batch.Values.Length];
        CrossEntropy.LossAndGradient(batch.Values, labels, gradient, classes, Reduction.Sum);
        Softmax.Forward(batch.Values, p, classes);
        for (int r = 0; r < rows; r++)
        {
            double rowSum = 0;
            for (int j = 0; j < classes; j++)
            {
                double expected = p[(r * classes) + j] - (j == labels[r] ? 1 : 0);
                double g = gradient[(r * classes) + j];
                double scale = Math.Max(Math.Abs(expected), p[(r * classes) + j]);
                Assert.True(Math.Abs(g - expected) <= 4 * (Math.BitIncrement(scale) - scale), $"row {r} [{j}] {g:R} vs {expected:R}");
                rowSum += g;
            }

            Assert.True(Math.Abs(rowSum) <= classes * 4e-16, $"row {r} sums to {rowSum:R}");
        }
    }

    /// <summary>
    /// A row its label dominates (the other logits 30 below) has a loss of log Σ = log1p(Σ − 1), about
    /// (C − 1)·e^-30: rows of 17 to 1,000 float classes (the long rows' sum pass) keep it within 4 ulp,
    /// which takes Σ − 1 to its relative accuracy (a plain sum in double leaves about 2^-50 of Σ).
    /// </summary>
    [Theory]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(1000)]
    [InlineData(32000)]
    [InlineData(128256)]
    public void Loss_of_a_row_its_label_dominates_keeps_its_relative_accuracy(int classes)
    {
        float[] logits = Enumerable.Repeat(-25f, classes).ToArray();
        logits[3] = 5f;
        float loss = CrossEntropy.Loss(logits, [3], classes, Reduction.Sum);
        double rest = (classes - 1) * Math.Exp(-30.0);
        float expected = (float)(rest - (rest * rest / 2));
        Assert.True(Ulp.Distance(loss, expected) <= 4, $"C={classes}: {loss:R}, expected {expected:R}");
    }

    [Property]
    public void Loss_is_log_sum_exp_minus_the_labelled_logit_and_never_negative(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        int[] labels = Enumerable.Range(0, rows).Select(r => (r * 3) % classes).ToArray();
        float[] logits = batch.Values.Select(v => (float)v).ToArray();
        float[] losses = new float[rows];
        CrossEntropy.Loss(logits, labels, losses, classes);
        for (int r = 0; r < rows; r++)
        {
            // LSE − z_y, as −log-softmax in double: exact enough even where the loss is tiny.
            double[] row = batch.Values.Select(v => (double)(float)v).Skip(r * classes).Take(classes).ToArray();
            double[] logP = new double[classes];
            LogSoftmax.Forward(row, logP);
            double expected = -logP[labels[r]];
            Assert.True(losses[r] >= 0);
            Assert.True(Math.Abs(losses[r] - expected) <= 4 * (MathF.BitIncrement((float)expected) - (float)expected) + 1e-30, $"row {r}: {losses[r]:R} vs {expected:R}");
        }
    }

    [Property]
    public void Mean_is_the_sum_over_the_counted_rows(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        int[] labels = Enumerable.Range(0, rows).Select(r => r % 3 == 1 ? CrossEntropy.DefaultIgnoreIndex : r % classes).ToArray();
        int counted = labels.Count(l => l >= 0);
        double sum = CrossEntropy.Loss(batch.Values, labels, classes, Reduction.Sum);
        double mean = CrossEntropy.Loss(batch.Values, labels, classes, Reduction.Mean);
        double expected = counted == 0 ? 0 : sum / counted;
        Assert.True(Math.Abs(mean - expected) <= 1e-15 * Math.Abs(expected), $"{mean:R} vs {expected:R}");
    }

    [Fact]
    public void Mean_divides_by_the_counted_rows_of_a_long_batch()
    {
        const int Rows = 37, Classes = 10;
        float[] logits = Enumerable.Range(0, Rows * Classes).Select(i => (float)((i * 7) % 13) / 3).ToArray();
        foreach (int ignoreIndex in new[] { CrossEntropy.DefaultIgnoreIndex, 4 })
        {
            int[] labels = Enumerable.Range(0, Rows).Select(r => r % 3 == 1 ? ignoreIndex : (r * 3) % Classes).ToArray();
            int counted = labels.Count(l => l != ignoreIndex);
            float[] losses = new float[Rows], gradient = new float[logits.Length], meanGradient = new float[logits.Length];
            CrossEntropy.LossAndGradient(logits, labels, losses, gradient, Classes, ignoreIndex: ignoreIndex);
            float mean = CrossEntropy.LossAndGradient(logits, labels, meanGradient, Classes, ignoreIndex: ignoreIndex);
            double expected = losses.Sum(l => (double)l) / counted;
            Assert.True(Math.Abs(mean - expected) <= 2e-6 * expected, $"ignore {ignoreIndex}: mean {mean:R}, Σ losses / {counted} = {expected:R}");
            for (int i = 0; i < gradient.Length; i++)
            {
                Assert.Equal(gradient[i] / counted, meanGradient[i], 1e-7f);
            }
        }
    }

    [Property]
    public void Ignored_rows_add_nothing_and_get_a_zero_gradient(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        int[] labels = Enumerable.Range(0, rows).Select(r => r % 2 == 0 ? -1 : r % classes).ToArray();
        double[] gradient = Enumerable.Repeat(double.NaN, batch.Values.Length).ToArray();
        double[] losses = new double[rows];
        CrossEntropy.LossAndGradient(batch.Values, labels, losses, gradient, classes, ignoreIndex: -1, labelSmoothing: 0.1);
        for (int r = 0; r < rows; r += 2)
        {
            Assert.Equal(0, losses[r]);
            Assert.All(gradient.Skip(r * classes).Take(classes), g => Assert.Equal(0, g));
        }
    }

    [Property]
    public void In_place_equals_out_of_place(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        int[] labels = Enumerable.Range(0, rows).Select(r => (r * 5) % classes).ToArray();
        float[] logits = batch.Values.Select(v => (float)v).ToArray();
        float[] gradient = new float[logits.Length];
        float loss = CrossEntropy.LossAndGradient(logits, labels, gradient, classes, labelSmoothing: 0.05f);
        float inPlaceLoss = CrossEntropy.LossAndGradient(logits, labels, logits, classes, labelSmoothing: 0.05f);
        Assert.Equal(loss, inPlaceLoss);
        Assert.Equal(gradient, logits);
    }

    [Property]
    public void Batched_equals_row_by_row(Batch batch)
    {
        int classes = batch.RowLength, rows = batch.Values.Length / classes;
        double[] targets = batch.Values.Select((v, i) => ((i * 37) % 11) / 11.0).ToArray();
        double[] gradient = new double[batch.Values.Length], losses = new double[rows];
        CrossEntropy.LossAndGradient(batch.Values, targets, losses, gradient, classes, labelSmoothing: 0.1);
        for (int r = 0; r < rows; r++)
        {
            double[] rowGradient = new double[classes], rowLoss = new double[1];
            CrossEntropy.LossAndGradient(batch.Values.AsSpan(r * classes, classes), targets.AsSpan(r * classes, classes), rowLoss, rowGradient, classes, labelSmoothing: 0.1);
            Assert.Equal(rowLoss[0], losses[r]);
            Assert.Equal(rowGradient, gradient.AsSpan(r * classes, classes).ToArray());
        }
    }

    [Fact]
    public void Vectorized_equals_scalar_for_every_class_count_up_to_300()
    {
        var random = new Random(11);
        foreach (KernelWidth width in Dispatch.Supported.Where(w => w != KernelWidth.Scalar))
        {
            for (int classes = 1; classes <= 300; classes++)
            {
                float[] logits = Enumerable.Range(0, 2 * classes).Select(_ => (float)((random.NextDouble() * 20) - 10)).ToArray();
                var call = new CrossEntropyCall<float>(logits, classes, Labels: [random.Next(classes), random.Next(classes)], Smoothing: classes % 2 == 0 ? 0.1 : 0);
                (float vLoss, _, float[] vGradient) = call.Run(width);
                (float sLoss, _, float[] sGradient) = call.Run(KernelWidth.Scalar);
                Assert.True(Ulp.Distance(vLoss, sLoss) <= 1, $"{width} C={classes}: loss {vLoss:R} vs {sLoss:R}");
                for (int i = 0; i < vGradient.Length; i++)
                {
                    Assert.True(Math.Abs(vGradient[i] - sGradient[i]) <= 2.5e-7f * Math.Max(1, Math.Abs(sGradient[i])), $"{width} C={classes} [{i}]: {vGradient[i]:R} vs {sGradient[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void A_minus_infinity_label_logit_gives_infinite_loss_and_finite_logits_never_NaN()
    {
        float[] logits = [1f, float.NegativeInfinity, 3f, 1e30f, -1e30f, 0f];
        float[] gradient = new float[6];
        Assert.Equal(float.PositiveInfinity, CrossEntropy.LossAndGradient(logits, [1, 2], gradient, 3));
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        Assert.Equal(2e30f, CrossEntropy.Loss(logits.AsSpan(3), [1], 3), 1e24f);
    }

    [Fact]
    public void Mean_over_no_counted_row_is_zero_with_a_zero_gradient()
    {
        double[] gradient = [9, 9, 9, 9];
        Assert.Equal(0, CrossEntropy.LossAndGradient([1.0, 2, 3, 4], [-100, -100], gradient, 2));
        Assert.All(gradient, g => Assert.Equal(0, g));
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_parameter_before_writing()
    {
        float[] logits = new float[6], gradient = Enumerable.Repeat(7f, 6).ToArray();
        void Throws<TException>(string parameter, Action action)
            where TException : ArgumentException
        {
            TException e = Assert.Throws<TException>(action);
            Assert.Equal(parameter, e.ParamName);
            Assert.All(gradient, g => Assert.Equal(7f, g));
        }

        var label = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.LossAndGradient(logits, [0, 3], gradient, 3));
        Assert.Equal("labels", label.ParamName);
        Assert.Contains("labels[1] = 3", label.Message, StringComparison.Ordinal);
        Assert.All(gradient, g => Assert.Equal(7f, g));
        float[] longLogits = new float[40 * 3], longGradient = Enumerable.Repeat(7f, 40 * 3).ToArray();
        foreach (int bad in new[] { -5, 3 })
        {
            int[] labels = Enumerable.Range(0, 40).Select(r => r % 3).ToArray();
            labels[21] = bad; // inside a register of labels, after whole registers of good ones
            var late = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.LossAndGradient(longLogits, labels, longGradient, 3));
            Assert.Equal("labels", late.ParamName);
            Assert.Contains($"labels[21] = {bad}", late.Message, StringComparison.Ordinal);
            Assert.All(longGradient, g => Assert.Equal(7f, g));
        }

        Throws<ArgumentOutOfRangeException>("classes", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 0));
        Throws<ArgumentException>("logits", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 4));
        Throws<ArgumentException>("labels", () => CrossEntropy.LossAndGradient(logits, [0, 1, 2], gradient, 3));
        Throws<ArgumentException>("classWeights", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, classWeights: new float[] { 1, 1 }));
        Throws<ArgumentException>("classWeights", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, classWeights: new float[] { 1, -1, 1 }));
        Throws<ArgumentException>("classWeights", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, classWeights: new float[] { 1, float.NaN, 1 }));
        Throws<ArgumentOutOfRangeException>("labelSmoothing", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, labelSmoothing: 1.5f));
        Throws<ArgumentOutOfRangeException>("labelSmoothing", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, labelSmoothing: float.NaN));
        Throws<ArgumentException>("gradient", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient.AsSpan(1), 3));
        Throws<ArgumentException>("targets", () => CrossEntropy.LossAndGradient(logits, new float[5], gradient, 3));
        Throws<ArgumentException>("losses", () => CrossEntropy.LossAndGradient(logits, [0, 1], new float[3], gradient, 3));
        Throws<ArgumentOutOfRangeException>("reduction", () => CrossEntropy.LossAndGradient(logits, [0, 1], gradient, 3, (Reduction)7));
        Throws<ArgumentException>("gradient", () => CrossEntropy.LossAndGradient(gradient.AsSpan(0, 3), [0], gradient.AsSpan(1, 3), 3));
    }

    [Fact]
    public void Calls_allocate_nothing()
    {
        float[] logits = Enumerable.Range(0, 64 * 40).Select(i => (float)(i % 9)).ToArray(), gradient = new float[logits.Length], targets = new float[logits.Length], losses = new float[64];
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 40).ToArray();
        float[] weights = Enumerable.Repeat(0.5f, 40).ToArray();
        void All()
        {
            CrossEntropy.LossAndGradient(logits, labels, gradient, 40, Reduction.Mean, weights, labelSmoothing: 0.1f);
            CrossEntropy.LossAndGradient(logits, targets, losses, gradient, 40);
            CrossEntropy.Loss(logits, labels, 40);
            Softmax.Backward(logits, gradient, gradient, 40);
            LogSoftmax.Backward(targets, gradient, gradient, 40);
        }

        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
