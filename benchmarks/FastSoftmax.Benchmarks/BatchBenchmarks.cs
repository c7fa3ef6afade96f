using System;
using BenchmarkDotNet.Attributes;

namespace FastSoftmax.Benchmarks;

/// <summary>A [Rows x Classes] batch of logits (Shape "RxC"), its destination and a label per row.</summary>
public abstract class BatchData
{
    protected float[] X { get; private set; } = [];

    protected float[] Y { get; private set; } = [];

    protected int[] Labels { get; private set; } = [];

    protected int Rows { get; private set; }

    protected int Classes { get; private set; }

    public abstract string Shape { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (Rows, Classes) = Data.Shape(Shape);
        X = Data.Logits(Rows * Classes);
        Y = new float[X.Length];
        Labels = Data.Labels(Rows, Classes);
    }
}

/// <summary>Softmax of every row of a [Rows x Classes] batch: one batched call against a per-row loop over each peer.</summary>
[MemoryDiagnoser]
public class BatchSoftmax : BatchData
{
    [Params("100000x10", "4096x1000", "512x32000", "64x128256")]
    public override string Shape { get; set; } = "";

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesSoftMaxPerRow() => Peers.TensorPrimitivesSoftMaxPerRow(X, Y, Classes);

    [Benchmark]
    public void ComposedTensorPrimitivesPerRow()
    {
        int c = Classes;
        for (int r = 0; r < X.Length; r += c)
        {
            Peers.ComposedSoftmax(X.AsSpan(r, c), Y.AsSpan(r, c));
        }
    }

    [Benchmark]
    public void ScalarLoopPerRow()
    {
        int c = Classes;
        for (int r = 0; r < X.Length; r += c)
        {
            Peers.ScalarSoftmax(X.AsSpan(r, c), Y.AsSpan(r, c));
        }
    }

    [Benchmark]
    public void FastSoftmaxBatched() => Softmax.Forward(X, Y, Classes);

    /// <summary>The same call with the rows split across every core (opt-in): the scaling is this over FastSoftmaxBatched.</summary>
    [Benchmark]
    public void FastSoftmaxBatchedAllCores() => Softmax.Forward(X, Y, Classes, maxDegreeOfParallelism: -1);

    /// <summary>Log-softmax of the same batch: the speed issue asks for it within 10 % of softmax at the same shape.</summary>
    [Benchmark]
    public void FastLogSoftmaxBatched() => LogSoftmax.Forward(X, Y, Classes);

    /// <summary>Log-sum-exp of every row of the same batch (one output a row).</summary>
    [Benchmark]
    public void FastLogSumExpBatched() => LogSumExp.Compute(X, Y.AsSpan(0, X.Length / Classes), Classes);

    /// <summary>Not a softmax: the memory traffic's floor for a batch (<see cref="Peers.ScaleRows"/>), for the rows out of cache.</summary>
    [Benchmark]
    public void MemoryFloorPerRow() => Peers.ScaleRows(X, Y, Classes);
}
