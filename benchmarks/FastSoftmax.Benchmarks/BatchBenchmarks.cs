using System;
using BenchmarkDotNet.Attributes;

namespace FastSoftmax.Benchmarks;

/// <summary>Softmax of every row of a [Rows x Classes] batch: one batched call against a per-row loop over each peer.</summary>
[MemoryDiagnoser]
public class BatchSoftmax
{
    private float[] _x = [];
    private float[] _y = [];

    [Params("100000x10", "4096x1000", "512x32000", "64x128256")]
    public string Shape { get; set; } = "";

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (int rows, int classes) = Data.Shape(Shape);
        Classes = classes;
        _x = Data.Logits(rows * classes);
        _y = new float[_x.Length];
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMaxPerRow() => Peers.TensorPrimitivesSoftMaxPerRow(_x, _y, Classes);

    [Benchmark]
    public void ComposedTensorPrimitivesPerRow()
    {
        int c = Classes;
        for (int r = 0; r < _x.Length; r += c)
        {
            Peers.ComposedSoftmax(_x.AsSpan(r, c), _y.AsSpan(r, c));
        }
    }

    [Benchmark]
    public void ScalarLoopPerRow()
    {
        int c = Classes;
        for (int r = 0; r < _x.Length; r += c)
        {
            Peers.ScalarSoftmax(_x.AsSpan(r, c), _y.AsSpan(r, c));
        }
    }

    [Benchmark]
    public void FastSoftmaxBatched() => Softmax.Forward(_x, _y, Classes);

    /// <summary>The same call with the rows split across every core (opt-in): the scaling is this over FastSoftmaxBatched.</summary>
    [Benchmark]
    public void FastSoftmaxBatchedAllCores() => Softmax.Forward(_x, _y, Classes, maxDegreeOfParallelism: -1);

    /// <summary>Log-softmax of the same batch: the speed issue asks for it within 10 % of softmax at the same shape.</summary>
    [Benchmark]
    public void FastLogSoftmaxBatched() => LogSoftmax.Forward(_x, _y, Classes);

    /// <summary>Log-sum-exp of every row of the same batch (one output a row).</summary>
    [Benchmark]
    public void FastLogSumExpBatched() => LogSumExp.Compute(_x, _y.AsSpan(0, _x.Length / Classes), Classes);
}
