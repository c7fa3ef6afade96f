using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace FastSoftmax.Regression;

/// <summary>
/// The training objective over θ = (W [C × d] row-major, b [C]): mean cross-entropy of
/// softmax(X·Wᵀ + b) plus (λ/2)·‖W‖², and its gradient, (1/n)·(P − Y)ᵀ·X + λW and (1/n)·Σ(P − Y).
/// </summary>
internal sealed class Objective
{
    private readonly double[] _x;      // [n × d], standardized if asked
    private readonly int[] _labels;
    private readonly double[] _logits; // [n × C]
    private readonly double[] _logitGradient;
    private readonly double[]? _mean;
    private readonly double[]? _inverseStd;
    private readonly int _n, _d, _c;
    private readonly double _lambda;

    public Objective(ReadOnlySpan<float> features, int[] labels, int n, int d, int c, double lambda, bool standardize)
    {
        (_n, _d, _c, _lambda, _labels) = (n, d, c, lambda, labels);
        _x = new double[n * d];
        TensorPrimitives.ConvertChecked<float, double>(features, _x);
        if (standardize)
        {
            _mean = new double[d];
            _inverseStd = new double[d];
            for (int j = 0; j < d; j++)
            {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += _x[(i * d) + j];
                }

                double mean = sum / n;
                for (int i = 0; i < n; i++)
                {
                    double v = _x[(i * d) + j] - mean;
                    squares += v * v;
                }

                double std = Math.Sqrt(squares / n);
                _mean[j] = mean;
                _inverseStd[j] = std > 0 ? 1 / std : 1; // a constant feature stays 0 after centring
                for (int i = 0; i < n; i++)
                {
                    _x[(i * d) + j] = (_x[(i * d) + j] - mean) * _inverseStd[j];
                }
            }
        }

        _logits = new double[n * c];
        _logitGradient = new double[n * c];
    }

    public int Parameters => (_c * _d) + _c;

    public int Rows => _n;

    /// <summary>Objective at θ, its gradient into <paramref name="gradient"/>, the mean cross-entropy and the training accuracy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the whole of training: no tier-0 pass
    public (double Objective, double CrossEntropy, double Accuracy) Evaluate(double[] theta, double[] gradient)
    {
        ReadOnlySpan<double> w = theta.AsSpan(0, _c * _d), b = theta.AsSpan(_c * _d, _c);
        int correct = 0;
        for (int i = 0; i < _n; i++)
        {
            ReadOnlySpan<double> xi = _x.AsSpan(i * _d, _d);
            Span<double> zi = _logits.AsSpan(i * _c, _c);
            for (int k = 0; k < _c; k++)
            {
                zi[k] = Dot(xi, w.Slice(k * _d, _d)) + b[k];
            }

            correct += TensorPrimitives.IndexOfMax<double>(zi) == _labels[i] ? 1 : 0;
        }

        double crossEntropy = FastSoftmax.CrossEntropy.LossAndGradient(_logits, _labels, _logitGradient, _c);

        Span<double> gw = gradient.AsSpan(0, _c * _d), gb = gradient.AsSpan(_c * _d, _c);
        TensorPrimitives.Multiply(w, _lambda, gw);
        gb.Clear();
        for (int i = 0; i < _n; i++)
        {
            ReadOnlySpan<double> xi = _x.AsSpan(i * _d, _d);
            for (int k = 0; k < _c; k++)
            {
                double gik = _logitGradient[(i * _c) + k];
                AddScaled(gw.Slice(k * _d, _d), xi, gik);
                gb[k] += gik;
            }
        }

        double penalty = 0.5 * _lambda * TensorPrimitives.Dot(w, w);
        return (crossEntropy + penalty, crossEntropy, (double)correct / _n);
    }

    // Inlined Vector<T> loops: at d = 64 a TensorPrimitives call costs more than its arithmetic, and
    // these run n·C times per evaluation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int i = 0, width = Vector<double>.Count;
        Vector<double> s0 = default, s1 = default;
        for (; i + (2 * width) <= a.Length; i += 2 * width)
        {
            s0 += new Vector<double>(a.Slice(i)) * new Vector<double>(b.Slice(i));
            s1 += new Vector<double>(a.Slice(i + width)) * new Vector<double>(b.Slice(i + width));
        }

        double sum = Vector.Sum(s0 + s1);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(Span<double> destination, ReadOnlySpan<double> x, double factor)
    {
        int i = 0, width = Vector<double>.Count;
        var f = new Vector<double>(factor);
        for (; i + width <= x.Length; i += width)
        {
            (new Vector<double>(destination.Slice(i)) + (f * new Vector<double>(x.Slice(i)))).CopyTo(destination.Slice(i));
        }

        for (; i < x.Length; i++)
        {
            destination[i] += factor * x[i];
        }
    }

    public SoftmaxRegressionModel ToModel(double[] theta)
    {
        float[] weights = new float[_c * _d], bias = new float[_c];
        TensorPrimitives.ConvertTruncating<double, float>(theta.AsSpan(0, _c * _d), weights);
        TensorPrimitives.ConvertTruncating<double, float>(theta.AsSpan(_c * _d, _c), bias);
        float[]? mean = null, inverseStd = null;
        if (_mean is not null)
        {
            mean = new float[_d];
            inverseStd = new float[_d];
            TensorPrimitives.ConvertTruncating<double, float>(_mean, mean);
            TensorPrimitives.ConvertTruncating<double, float>(_inverseStd!, inverseStd);
        }

        return new SoftmaxRegressionModel(_d, _c, weights, bias, mean, inverseStd);
    }
}
