using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace FastSoftmax.Benchmarks;

/// <summary>
/// Softmax on machines without AVX-512, beside this one's AVX-512 in the same run: the runtime told
/// to leave AVX-512 out (our kernels and TensorPrimitives then run on Vector256 with AVX2) or AVX2
/// and up out (Vector128). Many users' machines have no AVX-512; each job's ratios are against
/// TensorPrimitives.SoftMax (per row for a batch) in that job. "1xN" is one vector (the
/// single-vector overloads); "RxC" a batch of R rows.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WidthsConfig))]
public class NarrowerWidths : BatchData
{
    [Params("1x32", "1x100", "1x4096", "1x128256", "100000x10", "4096x1000")]
    public override string Shape { get; set; } = "";

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMaxPerRow() => Peers.TensorPrimitivesSoftMaxPerRow(X, Y, Classes);

    [Benchmark]
    public void FastSoftmax()
    {
        if (Rows == 1)
        {
            Softmax.Forward(X, Y);
        }
        else
        {
            Softmax.Forward(X, Y, Classes);
        }
    }

    private sealed class WidthsConfig : ManualConfig
    {
        public WidthsConfig()
        {
            // CI's dry run (CI=true, --job Dry, in process) runs this class in its Dry job alone.
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                return;
            }

            AddJob(Job.Default.WithId("AVX-512"));
            AddJob(Job.Default
                .WithEnvironmentVariable("DOTNET_EnableAVX512F", "0")
                .WithEnvironmentVariable("DOTNET_EnableAVX512", "0")
                .WithId("AVX2 (Vector256)"));
            AddJob(Job.Default.WithEnvironmentVariable("DOTNET_EnableAVX2", "0").WithId("no AVX2 (Vector128)"));
        }
    }
}
