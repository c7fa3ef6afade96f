using System;
using System.IO;
using System.Linq;
using FastSoftmax.Cli;
using FastSoftmax.Regression;
using Spectre.Console;
using Spectre.Console.Testing;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>The softmax-regression trainer, its model file and the demo CLI, end to end.</summary>
public class SoftmaxRegressionTests
{
    private static readonly Lazy<DataSet> Digits = new(() => DataSet.Digits(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz")));

    // Directions scaled so that the unit step is far too short (expansion), about right, and far too long (zoom).
    [Theory]
    [InlineData(1e-4)]
    [InlineData(1.0)]
    [InlineData(1e3)]
    public void Line_search_steps_meet_the_strong_Wolfe_conditions(double scale)
    {
        var random = new Random(2);
        const int n = 200, d = 7, c = 3;
        float[] x = Enumerable.Range(0, n * d).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(i => i % c).ToArray();
        var objective = new Objective(x, y, n, d, c, lambda: 0.01, standardize: false);
        double[] theta = Enumerable.Range(0, objective.Parameters).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] g = new double[theta.Length], xNew = new double[theta.Length], gNew = new double[theta.Length];
        double f0 = objective.Evaluate(theta, g).Objective;
        double[] direction = g.Select(v => -scale * v).ToArray();
        double slope0 = direction.Zip(g, (a, b) => a * b).Sum();

        Assert.True(new SoftmaxRegressionTrainer.LineSearch(objective, theta, direction, xNew, gNew, f0, slope0).Run(out double f, out _, out _));

        double step = (xNew[0] - theta[0]) / direction[0];
        double slope = direction.Zip(gNew, (a, b) => a * b).Sum();
        Assert.Equal(f, objective.Evaluate(xNew, new double[theta.Length]).Objective); // xNew and gNew hold the accepted point
        Assert.True(f <= f0 + (1e-4 * step * slope0), $"sufficient decrease: f {f:R}, f0 {f0:R}, step {step:R}");
        Assert.True(Math.Abs(slope) <= 0.9 * Math.Abs(slope0), $"curvature: slope {slope:R}, slope0 {slope0:R}, step {step:R}");
    }

    /// <summary>Train accuracy: the rows whose first largest logit is their label, ties to the first class.</summary>
    [Fact]
    public void Objective_accuracy_counts_rows_whose_first_largest_logit_is_the_label()
    {
        const int n = 200, d = 6, c = 5;
        var random = new Random(3);
        float[] x = Enumerable.Range(0, n * d).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        x.AsSpan(0, 2 * d).Clear(); // two rows whose logits are the biases alone
        int[] y = Enumerable.Range(0, n).Select(_ => random.Next(c)).ToArray();
        (y[0], y[1]) = (2, 0);
        var objective = new Objective(x, y, n, d, c, lambda: 0, standardize: false);
        double[] theta = Enumerable.Range(0, objective.Parameters).Select(_ => random.NextDouble() - 0.5).ToArray();
        theta.AsSpan(c * d, c).Fill(-1);
        (theta[(c * d) + 0], theta[(c * d) + 2]) = (1, 1); // biases tie classes 0 and 2: argmax is 0

        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            double[] logits = Enumerable.Range(0, c)
                .Select(k => theta[(c * d) + k] + Enumerable.Range(0, d).Sum(j => theta[(k * d) + j] * x[(i * d) + j]))
                .ToArray();
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax<double>(logits) == y[i] ? 1 : 0;
        }

        Assert.Equal((double)correct / n, objective.Evaluate(theta, new double[theta.Length]).Accuracy);
    }

    // Central differences of the objective in double (h = 1e-6, error ~1e-9) against its analytic gradient.
    // Classes padded to the products' tiles of five (2, 4, 6, 7) and not (10); a last tile of fewer rows;
    // columns padded (33 features: 48 columns, a tile of 32 and one of 16 on AVX-512).
    [Theory]
    [InlineData(false, 5, 4, 30)]
    [InlineData(false, 33, 10, 67)]
    [InlineData(false, 16, 7, 5)]
    [InlineData(true, 5, 4, 30)]
    [InlineData(false, 9, 6, 150)]
    [InlineData(true, 3, 2, 70)]
    public void Objective_gradient_matches_finite_differences(bool standardize, int d, int c, int n)
    {
        var random = new Random(1);
        float[] x = Enumerable.Range(0, n * d).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(i => i % c).ToArray();
        var objective = new Objective(x, y, n, d, c, lambda: 0.05, standardize);
        double[] theta = Enumerable.Range(0, objective.Parameters).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] gradient = new double[theta.Length], scratch = new double[theta.Length];
        objective.Evaluate(theta, gradient);
        const double h = 1e-6;
        for (int k = 0; k < theta.Length; k++)
        {
            double[] plus = (double[])theta.Clone(), minus = (double[])theta.Clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (objective.Evaluate(plus, scratch).Objective - objective.Evaluate(minus, scratch).Objective) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[k]) < 1e-7, $"θ[{k}]: analytic {gradient[k]:R}, numeric {numeric:R}");
        }
    }

    [Fact]
    public void Separable_synthetic_data_is_learned_perfectly()
    {
        // Three well-separated clusters in 2-D; with a small penalty the fit separates them all.
        var random = new Random(2);
        (float, float)[] centres = [(0, 0), (6, 0), (0, 6)];
        int[] y = Enumerable.Range(0, 150).Select(i => i % 3).ToArray();
        float[] x = y.SelectMany(label => new[] { centres[label].Item1 + (float)random.NextDouble(), centres[label].Item2 + (float)random.NextDouble() }).ToArray();
        SoftmaxRegressionModel model = SoftmaxRegressionTrainer.Fit(x, y, 2, 3, new SoftmaxRegressionOptions { L2 = 1e-4 });
        int[] predicted = new int[y.Length];
        model.Predict(x, predicted);
        Assert.Equal(y, predicted);
    }

    [Fact]
    public void Digits_reach_the_scikit_learn_accuracy()
    {
        DataSet data = Digits.Value;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TrainingProgress last = default;
        var progress = new SynchronousProgress(p => last = p);
        SoftmaxRegressionModel model = SoftmaxRegressionTrainer.Fit(data.TrainX, data.TrainY, data.Features, data.Classes, progress: progress);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        // The objective scikit-learn reaches (train cross-entropy 0.1149 in 170 iterations), with its stopping rules.
        Assert.True(Math.Abs(last.CrossEntropy - 0.1149) < 5e-5, $"train cross-entropy {last.CrossEntropy}");
        Assert.InRange(last.Iteration, 150, 200);
        int[] predicted = new int[data.TestY.Length];
        model.Predict(data.TestX, predicted);
        int correct = predicted.Zip(data.TestY).Count(p => p.First == p.Second);
        Assert.True(correct >= 347, $"{correct}/359 (scikit-learn: 347/359)");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Training_is_reproducible_for_a_thread_count(int threads)
    {
        DataSet data = Digits.Value;
        var options = new SoftmaxRegressionOptions { MaxIterations = 40, Threads = threads };
        SoftmaxRegressionModel first = SoftmaxRegressionTrainer.Fit(data.TrainX, data.TrainY, data.Features, data.Classes, options);
        SoftmaxRegressionModel second = SoftmaxRegressionTrainer.Fit(data.TrainX, data.TrainY, data.Features, data.Classes, options);
        Assert.Equal(first.Weights.ToArray(), second.Weights.ToArray());
        Assert.Equal(first.Bias.ToArray(), second.Bias.ToArray());
    }

    [Fact]
    public void Save_then_load_predicts_identically()
    {
        DataSet data = Digits.Value;
        SoftmaxRegressionModel model = SoftmaxRegressionTrainer.Fit(data.TrainX, data.TrainY, data.Features, data.Classes, new SoftmaxRegressionOptions { MaxIterations = 20, Standardize = true });
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        SoftmaxRegressionModel loaded = SoftmaxRegressionModel.Load(stream);
        float[] before = new float[data.TestY.Length * 10], after = new float[before.Length];
        model.PredictLogProbabilities(data.TestX, before);
        loaded.PredictLogProbabilities(data.TestX, after);
        Assert.Equal(before, after);
        Assert.True(loaded.Standardizes);
    }

    [Fact]
    public void Corrupt_or_truncated_model_files_throw_InvalidDataException()
    {
        var model = SoftmaxRegressionTrainer.Fit([0f, 1f, 1f, 0f], [0, 1], 2, 2, new SoftmaxRegressionOptions { MaxIterations = 5 });
        using var stream = new MemoryStream();
        model.Save(stream);
        byte[] good = stream.ToArray();
        for (int cut = 0; cut < good.Length; cut += 3)
        {
            Assert.Throws<InvalidDataException>(() => SoftmaxRegressionModel.Load(new MemoryStream(good[..cut])));
        }

        for (int i = 0; i < good.Length; i++)
        {
            byte[] flipped = (byte[])good.Clone();
            flipped[i] ^= 0x40;
            Assert.Throws<InvalidDataException>(() => SoftmaxRegressionModel.Load(new MemoryStream(flipped)));
        }
    }

    [Fact]
    public void Bad_training_input_throws_naming_the_parameter()
    {
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => SoftmaxRegressionTrainer.Fit([], [], 2, 2)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => SoftmaxRegressionTrainer.Fit([1f, 2f], [0, 1], 2, 2)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegressionTrainer.Fit([1f, 2f], [2], 2, 2)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => SoftmaxRegressionTrainer.Fit([1f, float.NaN], [0], 2, 2)).ParamName);
        Assert.Equal("featureCount", Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegressionTrainer.Fit([1f], [0], 0, 2)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegressionTrainer.Fit([1f], [0], 1, 1)).ParamName);
        foreach ((SoftmaxRegressionOptions options, string name) in new[]
        {
            (new SoftmaxRegressionOptions { Tolerance = -1 }, "Tolerance"),
            (new SoftmaxRegressionOptions { ObjectiveTolerance = 1 }, "ObjectiveTolerance"),
            (new SoftmaxRegressionOptions { ObjectiveTolerance = double.NaN }, "ObjectiveTolerance"),
            (new SoftmaxRegressionOptions { Threads = 0 }, "Threads"),
            (new SoftmaxRegressionOptions { L2 = -1 }, "L2"),
        })
        {
            Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxRegressionTrainer.Fit([1f, 2f], [0], 2, 2, options)).ParamName);
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void Cli_trains_on_digits_and_prints_accuracy_and_a_confusion_matrix()
    {
        var console = new TestConsole();
        var error = new StringWriter();
        int code = Program.Run(["--max-iterations", "30"], console, error);
        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        Assert.Contains("test accuracy 0.9", console.Output, StringComparison.Ordinal);
        Assert.Contains("confusion matrix", console.Output, StringComparison.Ordinal);
        Assert.Contains("elements/ns", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_saves_loads_and_predicts()
    {
        string dir = Directory.CreateTempSubdirectory("fastsoftmax").FullName;
        string modelFile = Path.Combine(dir, "model.bin"), csv = Path.Combine(dir, "rows.csv");
        Assert.Equal(0, Program.Run(["--max-iterations", "200", "--save", modelFile], new TestConsole(), new StringWriter()));
        // The first training row of digits.csv.gz (a 0), as raw features.
        DataSet data = Digits.Value;
        File.WriteAllText(csv, string.Join(",", data.TrainX.Take(64).Select(v => (v * 16).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "\n");
        var console = new TestConsole();
        Assert.Equal(0, Program.Run(["--load", modelFile, "--predict", csv], console, new StringWriter()));
        Assert.Equal(data.TrainY[0].ToString(System.Globalization.CultureInfo.InvariantCulture), console.Output.Trim());
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--data", "cifar")]
    [InlineData("--max-iterations", "-3")]
    [InlineData("--load", "/nonexistent/model.bin", "--predict", "/nonexistent/x.csv")]
    [InlineData("--load", "/nonexistent/model.bin")]
    public void Cli_reports_bad_usage_in_one_line_with_exit_code_2(params string[] args)
    {
        var error = new StringWriter();
        Assert.Equal(2, Program.Run(args, new TestConsole(), error));
        string message = error.ToString();
        Assert.StartsWith("error: ", message, StringComparison.Ordinal);
        Assert.Single(message.Trim().Split('\n'));
    }
}
