using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace FastSoftmax.Benchmarks;

/// <summary>The mean cross-entropy and its gradient over a [Rows x Classes] batch: fused against what a user composes today.</summary>
[MemoryDiagnoser]
public class CrossEntropyLossAndGradient
{
    private float[] _logits = [];
    private float[] _gradient = [];
    private int[] _labels = [];
    private int _classes;

    [Params("65536x10", "4096x1000", "256x32000")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (int rows, _classes) = Data.Shape(Shape);
        _logits = Data.Logits(rows * _classes);
        _gradient = new float[_logits.Length];
        _labels = Data.Labels(rows, _classes);
    }

    /// <summary>Per row: the composed stable softmax, −log p[label], p − one-hot, scaled by 1/rows.</summary>
    [Benchmark(Baseline = true)]
    public float ComposedTensorPrimitivesPerRow()
    {
        int c = _classes;
        float loss = 0, inverseRows = 1f / _labels.Length;
        for (int r = 0; r < _labels.Length; r++)
        {
            Span<float> g = _gradient.AsSpan(r * c, c);
            ReadOnlySpan<float> z = _logits.AsSpan(r * c, c);
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, g);
            TensorPrimitives.Exp(g, g);
            float sum = TensorPrimitives.Sum(g);
            loss += MathF.Log(sum) - (z[_labels[r]] - max);
            TensorPrimitives.Multiply(g, inverseRows / sum, g);
            g[_labels[r]] -= inverseRows;
        }

        return loss * inverseRows;
    }

    [Benchmark]
    public float ScalarLoop()
    {
        int c = _classes;
        float loss = 0, inverseRows = 1f / _labels.Length;
        for (int r = 0; r < _labels.Length; r++)
        {
            int o = r * c;
            float max = float.NegativeInfinity;
            for (int j = 0; j < c; j++)
            {
                max = MathF.Max(max, _logits[o + j]);
            }

            float sum = 0;
            for (int j = 0; j < c; j++)
            {
                sum += _gradient[o + j] = MathF.Exp(_logits[o + j] - max);
            }

            loss += MathF.Log(sum) - (_logits[o + _labels[r]] - max);
            float scale = inverseRows / sum;
            for (int j = 0; j < c; j++)
            {
                _gradient[o + j] *= scale;
            }

            _gradient[o + _labels[r]] -= inverseRows;
        }

        return loss * inverseRows;
    }

    [Benchmark]
    public float FastSoftmaxFused() => CrossEntropy.LossAndGradient(_logits, _labels, _gradient, _classes);
}

/// <summary>Softmax's backward pass dx = y ⊙ (dy − ⟨dy, y⟩) over a [Rows x Classes] batch.</summary>
[MemoryDiagnoser]
public class SoftmaxBackwardPass
{
    private float[] _y = [];
    private float[] _dy = [];
    private float[] _dx = [];
    private int _classes;

    [Params("65536x10", "4096x1000", "256x32000")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (int rows, _classes) = Data.Shape(Shape);
        int n = rows * _classes;
        _y = new float[n];
        Softmax.Forward(Data.Logits(n), _y, _classes);
        _dy = Data.Logits(n, seed: 9);
        _dx = new float[n];
    }

    [Benchmark(Baseline = true)]
    public void ComposedTensorPrimitivesPerRow()
    {
        int c = _classes;
        for (int r = 0; r < _y.Length; r += c)
        {
            ReadOnlySpan<float> y = _y.AsSpan(r, c), dy = _dy.AsSpan(r, c);
            Span<float> dx = _dx.AsSpan(r, c);
            float dot = TensorPrimitives.Dot(y, dy);
            TensorPrimitives.Subtract(dy, dot, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }

    [Benchmark]
    public void ScalarLoop()
    {
        int c = _classes;
        for (int r = 0; r < _y.Length; r += c)
        {
            float dot = 0;
            for (int j = r; j < r + c; j++)
            {
                dot += _y[j] * _dy[j];
            }

            for (int j = r; j < r + c; j++)
            {
                _dx[j] = _y[j] * (_dy[j] - dot);
            }
        }
    }

    [Benchmark]
    public void FastSoftmaxBackward() => Softmax.Backward(_y, _dy, _dx, _classes);
}
