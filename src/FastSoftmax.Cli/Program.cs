using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using FastSoftmax.Regression;
using Spectre.Console;

namespace FastSoftmax.Cli;

/// <summary>The demo: softmax regression on handwritten digits, trained and evaluated with FastSoftmax's kernels.</summary>
public static class Program
{
    private const string Usage = """
        fastsoftmax: softmax regression on handwritten digits with FastSoftmax's kernels.

        usage: dotnet run -c Release --project src/FastSoftmax.Cli -- [options]
          --data digits|mnist     data set (default digits: UCI 8x8 digits, features /16; mnist: 10k MNIST 28x28)
          --max-iterations N      L-BFGS iteration budget (default 1000; stops earlier at convergence)
          --save FILE             write the trained model to FILE
          --load FILE --predict CSV
                                  load a model and print the predicted label of each CSV row
                                  (raw features as in the data set, comma-separated, one row per line)
          --help                  this text
        The split: test = rows whose 0-based index % 5 == 4, train = the others.
        """;

    public static int Main(string[] args) => Run(args, AnsiConsole.Console, Console.Error);

    /// <summary>Runs the CLI; returns the exit code (0 ok, 2 bad usage or data).</summary>
    internal static int Run(string[] args, IAnsiConsole console, TextWriter error)
    {
        try
        {
            Options options = Options.Parse(args);
            if (options.Help)
            {
                console.WriteLine(Usage);
                return 0;
            }

            return options.Load is not null ? Predict(options, console) : Train(options, console);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int Train(Options options, IAnsiConsole console)
    {
        string file = Path.Combine(AppContext.BaseDirectory, "data", options.Data == "mnist" ? "mnist10k.csv.gz" : "digits.csv.gz");
        DataSet data = options.Data == "mnist" ? DataSet.Mnist(file) : DataSet.Digits(file);
        console.MarkupLine($"[bold]{data.Name}[/]: {data.TrainY.Length} training and {data.TestY.Length} test images, {data.Features} features, {data.Classes} classes");

        var settings = new SoftmaxRegressionOptions { MaxIterations = options.MaxIterations };
        SoftmaxRegressionModel? model = null;
        TrainingProgress last = default;
        var clock = Stopwatch.StartNew();
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("L-BFGS", maxValue: settings.MaxIterations);
                var progress = new SynchronousProgress(p =>
                {
                    last = p;
                    task.Value = p.Iteration;
                    task.Description = $"iteration {p.Iteration,4}  loss {p.Loss:F4}  train acc {p.TrainAccuracy:P2}";
                });
                model = SoftmaxRegressionTrainer.Fit(data.TrainX, data.TrainY, data.Features, data.Classes, settings, progress);
                task.Value = task.MaxValue;
            });
        double seconds = clock.Elapsed.TotalSeconds;

        int[] predicted = new int[data.TestY.Length];
        model!.Predict(data.TestX, predicted);
        int correct = predicted.Zip(data.TestY).Count(p => p.First == p.Second);
        console.MarkupLine($"iterations {last.Iteration}, final objective {last.Loss:F4}, train cross-entropy {last.CrossEntropy:F4}, train accuracy {last.TrainAccuracy:P2}");
        console.MarkupLine($"[bold]test accuracy {(double)correct / predicted.Length:F4}[/] ({correct}/{predicted.Length}), training time {seconds:F3} s");
        console.Write(ConfusionMatrix(data.TestY, predicted, data.Classes));
        console.WriteLine(KernelThroughput(data, model));

        if (options.Save is not null)
        {
            using FileStream stream = File.Create(options.Save);
            model.Save(stream);
            console.MarkupLine($"model saved to {Markup.Escape(options.Save)}");
        }

        return 0;
    }

    private static int Predict(Options options, IAnsiConsole console)
    {
        if (options.Predict is null)
        {
            throw new ArgumentException("--load needs --predict CSV");
        }

        SoftmaxRegressionModel model;
        using (FileStream stream = File.OpenRead(options.Load!))
        {
            model = SoftmaxRegressionModel.Load(stream);
        }

        float[] x = DataSet.ReadFeatures(options.Predict, model.Features);
        int[] labels = new int[x.Length / model.Features];
        model.Predict(x, labels);
        foreach (int label in labels)
        {
            console.WriteLine(label.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return 0;
    }

    private static Table ConfusionMatrix(int[] truth, int[] predicted, int classes)
    {
        var table = new Table().Title("confusion matrix (rows: true label, columns: predicted)");
        table.AddColumn(new TableColumn(""));
        for (int c = 0; c < classes; c++)
        {
            table.AddColumn(new TableColumn(c.ToString(System.Globalization.CultureInfo.InvariantCulture)).RightAligned());
        }

        for (int t = 0; t < classes; t++)
        {
            var cells = new string[classes + 1];
            cells[0] = t.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int p = 0; p < classes; p++)
            {
                int count = truth.Zip(predicted).Count(x => x.First == t && x.Second == p);
                cells[p + 1] = count == 0 ? "[grey].[/]" : t == p ? $"[green]{count}[/]" : $"[red]{count}[/]";
            }

            table.AddRow(cells);
        }

        return table;
    }

    /// <summary>
    /// The fused cross-entropy kernel and softmax on this run's training logits shape, timed in this
    /// process after 1.5 s of warm-up (so the JIT has tiered up: after 0.3 s, the cross-entropy kernel
    /// still ran partly in tier-0 code, 0.08-0.36 elements/ns by process), over at least 0.3 s each.
    /// </summary>
    private static string KernelThroughput(DataSet data, SoftmaxRegressionModel model)
    {
        int n = data.TrainY.Length, c = data.Classes;
        float[] logits = new float[n * c], gradient = new float[n * c], probabilities = new float[n * c];
        model.Logits(data.TrainX, logits);
        double Measure(Action kernel)
        {
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 1500)
            {
                kernel();
            }

            long calls = 0;
            clock.Restart();
            while (clock.ElapsedMilliseconds < 300)
            {
                kernel();
                calls++;
            }

            return (double)n * c * calls / clock.Elapsed.TotalNanoseconds;
        }

        double fused = Measure(() => CrossEntropy.LossAndGradient(logits, data.TrainY, gradient, c));
        double softmax = Measure(() => Softmax.Forward(logits, probabilities, c));
        return $"kernels on [{n} x {c}] float logits in this run: CrossEntropy.LossAndGradient {fused:F2} elements/ns, Softmax.Forward {softmax:F2} elements/ns";
    }

    /// <summary>IProgress without a synchronization context: reports arrive on the training thread, in order.</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private sealed record Options(string Data, int MaxIterations, string? Save, string? Load, string? Predict, bool Help)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options("digits", 1000, null, null, null, false);
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--help" or "-h" => o with { Help = true },
                    "--data" => o with { Data = Value() is "digits" or "mnist" ? args[i] : throw new ArgumentException($"unknown data set '{args[i]}' (digits or mnist)") },
                    "--max-iterations" => o with { MaxIterations = int.TryParse(Value(), out int n) && n > 0 ? n : throw new ArgumentException($"--max-iterations takes a positive integer, not '{args[i]}'") },
                    "--save" => o with { Save = Value() },
                    "--load" => o with { Load = Value() },
                    "--predict" => o with { Predict = Value() },
                    _ => throw new ArgumentException($"unknown option '{args[i]}' (see --help)"),
                };
            }

            return o;
        }
    }
}
