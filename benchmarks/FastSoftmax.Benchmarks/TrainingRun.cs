using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using FastSoftmax.Cli;
using FastSoftmax.Regression;

namespace FastSoftmax.Benchmarks;

/// <summary>
/// One full softmax-regression fit (L-BFGS to scikit-learn's tolerance, λ = 1/n) on each data set's
/// training split, data loaded and scaled beforehand: the time scikit-learn's 0.056 s (digits) and
/// 7.2 s (MNIST 10k) in ../shared/ANCHORS.md compare to. Slow (seconds per operation): run it alone with
/// <c>--filter '*TrainingRun*' --warmupCount 1 --iterationCount 3</c>.
/// </summary>
[MemoryDiagnoser]
public class TrainingRun
{
    private DataSet _data = null!;

    [Params("digits", "mnist")]
    public string Data { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "data", Data == "mnist" ? "mnist10k.csv.gz" : "digits.csv.gz");
        _data = Data == "mnist" ? DataSet.Mnist(file) : DataSet.Digits(file);
    }

    [Benchmark]
    public SoftmaxRegressionModel Fit() =>
        SoftmaxRegressionTrainer.Fit(_data.TrainX, _data.TrainY, _data.Features, _data.Classes, new SoftmaxRegressionOptions { Threads = Threads });
}
