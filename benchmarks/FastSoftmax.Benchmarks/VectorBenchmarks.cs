using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace FastSoftmax.Benchmarks;

/// <summary>Softmax of one vector of N floats: FastSoftmax against the peers, in one run.</summary>
[MemoryDiagnoser]
public class VectorSoftmax
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(10, 100, 1_000, 4_096, 32_000, 128_256, 1_048_576)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Data.Logits(N);
        _y = new float[N];
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMax() => TensorPrimitives.SoftMax(_x, _y);

    [Benchmark]
    public void ComposedTensorPrimitives() => Peers.ComposedSoftmax(_x, _y);

    [Benchmark]
    public void ScalarLoop() => Peers.ScalarSoftmax(_x, _y);

    [Benchmark]
    public void FastSoftmax() => Softmax.Forward(_x, _y);
}

/// <summary>Log-softmax and log-sum-exp of one vector, against the composed TensorPrimitives log-softmax.</summary>
[MemoryDiagnoser]
public class VectorLogSoftmax
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(100, 4_096, 128_256)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Data.Logits(N);
        _y = new float[N];
    }

    [Benchmark(Baseline = true)]
    public void ComposedTensorPrimitives() => Peers.ComposedLogSoftmax(_x, _y);

    [Benchmark]
    public void FastLogSoftmax() => LogSoftmax.Forward(_x, _y);

    [Benchmark]
    public float FastLogSumExp() => LogSumExp.Compute(_x);

    [Benchmark]
    public void FastSoftmax() => Softmax.Forward(_x, _y);
}
