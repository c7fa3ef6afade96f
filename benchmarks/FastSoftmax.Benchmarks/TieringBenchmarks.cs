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
public class WithoutTieredCompilation : BatchData
{
    [Params("1x10", "100000x10", "65536x10")]
    public override string Shape { get; set; } = "";

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMaxPerRow() => Peers.TensorPrimitivesSoftMaxPerRow(X, Y, Classes);

    [Benchmark]
    public void FastSoftmaxBatched() => Softmax.Forward(X, Y, Classes);

    [Benchmark]
    public void FastLogSoftmaxBatched() => LogSoftmax.Forward(X, Y, Classes);

    [Benchmark]
    public float FastCrossEntropyLossAndGradient() => CrossEntropy.LossAndGradient(X, Labels, Y, Classes);

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
