using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace FastSoftmax.Benchmarks;

/// <summary>One vector of N logits in and N outputs: the data of the vector benchmarks.</summary>
public abstract class VectorData
{
    protected float[] X { get; private set; } = [];

    protected float[] Y { get; private set; } = [];

    public abstract int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        X = Data.Logits(N);
        Y = new float[N];
    }
}

/// <summary>Softmax of one vector of N floats: FastSoftmax against the peers, in one run.</summary>
[MemoryDiagnoser]
public class VectorSoftmax : VectorData
{
    [Params(10, 100, 1_000, 4_096, 32_000, 128_256, 1_048_576, 16_777_216)]
    public override int N { get; set; }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMax() => TensorPrimitives.SoftMax(X, Y);

    [Benchmark]
    public void ComposedTensorPrimitives() => Peers.ComposedSoftmax(X, Y);

    [Benchmark]
    public void ScalarLoop() => Peers.ScalarSoftmax(X, Y);

    [Benchmark]
    public void FastSoftmax() => Softmax.Forward(X, Y);
}

/// <summary>Log-softmax and log-sum-exp of one vector, against the composed TensorPrimitives log-softmax.</summary>
[MemoryDiagnoser]
public class VectorLogSoftmax : VectorData
{
    [Params(100, 4_096, 128_256)]
    public override int N { get; set; }

    [Benchmark(Baseline = true)]
    public void ComposedTensorPrimitives() => Peers.ComposedLogSoftmax(X, Y);

    [Benchmark]
    public void FastLogSoftmax() => LogSoftmax.Forward(X, Y);

    [Benchmark]
    public float FastLogSumExp() => LogSumExp.Compute(X);

    [Benchmark]
    public void FastSoftmax() => Softmax.Forward(X, Y);
}

/// <summary>Softmax in double against the same in float (the issue asks for at least half the float figure), and TensorPrimitives.SoftMax in double.</summary>
[MemoryDiagnoser]
public class DoubleSoftmax
{
    private float[] _x = [], _y = [];
    private double[] _xd = [], _yd = [];

    [Params(100, 4_096, 128_256)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Data.Logits(N);
        _y = new float[N];
        _xd = Array.ConvertAll(_x, v => (double)v);
        _yd = new double[N];
    }

    [Benchmark(Baseline = true)]
    public void FastSoftmaxFloat() => Softmax.Forward(_x, _y);

    [Benchmark]
    public void TensorPrimitivesSoftMaxDouble() => TensorPrimitives.SoftMax<double>(_xd, _yd);

    [Benchmark]
    public void FastSoftmaxDouble() => Softmax.Forward(_xd, _yd);
}

/// <summary>
/// Softmax of one vector after the process has run every implementation at n = 10 and 100 (the
/// issue's "after mixed sizes"): the tiered JIT then compiles each with the small sizes' profile, which
/// ../shared/ANCHORS.md saw cost TensorPrimitives.SoftMax 2.6x at n = 128,256. Compare with VectorSoftmax.
/// </summary>
[MemoryDiagnoser]
public class VectorSoftmaxAfterMixedSizes
{
    private float[] _x = [], _y = [];

    [Params(4_096, 128_256)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Data.Logits(N);
        _y = new float[N];
        foreach (int small in new[] { 10, 100 })
        {
            float[] x = Data.Logits(small), y = new float[small];
            for (int i = 0; i < 20_000; i++) // past the JIT's call counts and its profile collection
            {
                TensorPrimitives.SoftMax(x, y);
                Peers.ComposedSoftmax(x, y);
                Softmax.Forward(x, y);
            }
        }
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMax() => TensorPrimitives.SoftMax(_x, _y);

    [Benchmark]
    public void ComposedTensorPrimitives() => Peers.ComposedSoftmax(_x, _y);

    [Benchmark]
    public void FastSoftmax() => Softmax.Forward(_x, _y);
}
