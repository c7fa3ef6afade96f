using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace FastSoftmax.Benchmarks;

/// <summary>
/// The short-row workloads with tiered compilation off, beside the default job in the same run: code
/// fully optimized from the first call, compiled before the classes are initialized and without PGO
/// (as the runtime's TieredCompilation=0, and close to what ReadyToRun code starts with). A kernel
/// that relies on tier-1's folding of static readonly fields, or on PGO, falls behind here.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TieringConfig))]
public class WithoutTieredCompilation
{
    private float[] _x = [];
    private float[] _y = [];
    private int[] _labels = [];

    [Params("1x10", "100000x10", "65536x10")]
    public string Shape { get; set; } = "";

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (int rows, int classes) = Data.Shape(Shape);
        Classes = classes;
        _x = Data.Logits(rows * classes);
        _y = new float[_x.Length];
        _labels = Data.Labels(rows, classes);
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMaxPerRow() => Peers.TensorPrimitivesSoftMaxPerRow(_x, _y, Classes);

    [Benchmark]
    public void FastSoftmaxBatched() => Softmax.Forward(_x, _y, Classes);

    [Benchmark]
    public void FastLogSoftmaxBatched() => LogSoftmax.Forward(_x, _y, Classes);

    [Benchmark]
    public float FastCrossEntropyLossAndGradient() => CrossEntropy.LossAndGradient(_x, _labels, _y, Classes);

    private sealed class TieringConfig : ManualConfig
    {
        public TieringConfig()
        {
            // CI's dry run (CI=true, --job Dry) runs this class in its Dry job alone: these two jobs would
            // run in full there (eight minutes).
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                return;
            }

            AddJob(Job.Default.WithId("Tiered"));
            AddJob(Job.Default.WithEnvironmentVariable("DOTNET_TieredCompilation", "0").WithId("TieredCompilation=0"));
        }
    }
}
