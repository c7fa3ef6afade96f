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
    private readonly Worker[] _workers;
    private readonly double[]? _mean;
    private readonly double[]? _inverseStd;
    private readonly int _n, _d, _c;
    private readonly double _lambda;

    public Objective(ReadOnlySpan<float> features, int[] labels, int n, int d, int c, double lambda, bool standardize, int threads = 1)
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

        _workers = new Worker[Math.Max(1, Math.Min(threads, n / BlockRows))];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Worker(Parameters, c);
        }
    }

    public int Parameters => (_c * _d) + _c;

    public int Rows => _n;

    /// <summary>Objective at θ, its gradient into <paramref name="gradient"/>, the mean cross-entropy and the training accuracy.</summary>
    /// <remarks>
    /// Rows are taken in blocks of <see cref="BlockRows"/>: logits, the fused cross-entropy and the
    /// gradient's rank-1 updates all run while the block's rows are in cache, so X is read once per
    /// evaluation. With several workers, each owns a fixed contiguous share of the rows and its own
    /// gradient buffer; the shares are added in worker order, so results do not depend on scheduling.
    /// </remarks>
    public (double Objective, double CrossEntropy, double Accuracy) Evaluate(double[] theta, double[] gradient)
    {
        int workers = _workers.Length;
        if (workers == 1)
        {
            _workers[0].Run(this, theta, 0, _n);
        }
        else
        {
            System.Threading.Tasks.Parallel.For(0, workers, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
                _workers[w].Run(this, theta, (int)((long)_n * w / workers), (int)((long)_n * (w + 1) / workers)));
        }

        double lossSum = 0;
        int correct = 0;
        Array.Clear(gradient);
        foreach (Worker worker in _workers)
        {
            lossSum += worker.LossSum;
            correct += worker.Correct;
            TensorPrimitives.Add(gradient, worker.Gradient, gradient);
        }

        ReadOnlySpan<double> w = theta.AsSpan(0, _c * _d);
        TensorPrimitives.Multiply(gradient, 1.0 / _n, gradient);
        Span<double> gw = gradient.AsSpan(0, _c * _d);
        TensorPrimitives.MultiplyAdd(w, _lambda, gw, gw);
        double crossEntropy = lossSum / _n;
        return (crossEntropy + (0.5 * _lambda * TensorPrimitives.Dot(w, w)), crossEntropy, (double)correct / _n);
    }

    /// <summary>Rows per block: 64 rows of MNIST's 784 doubles are 400 KB, inside L2.</summary>
    private const int BlockRows = 64;

    /// <summary>One worker's buffers: its share's summed loss, correct count and unscaled gradient.</summary>
    private sealed class Worker(int parameters, int classes)
    {
        private readonly double[] _logits = new double[BlockRows * classes];
        private readonly double[] _logitGradient = new double[BlockRows * classes];

        public double[] Gradient { get; } = new double[parameters];

        public double LossSum { get; private set; }

        public int Correct { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the whole of training: no tier-0 pass
        public void Run(Objective o, double[] theta, int from, int to)
        {
            int d = o._d, c = o._c;
            ReadOnlySpan<double> w = theta.AsSpan(0, c * d), b = theta.AsSpan(c * d, c);
            Span<double> gw = Gradient.AsSpan(0, c * d), gb = Gradient.AsSpan(c * d, c);
            Array.Clear(Gradient);
            double loss = 0;
            int correct = 0;
            for (int start = from; start < to; start += BlockRows)
            {
                int rows = Math.Min(BlockRows, to - start);
                Span<double> z = _logits.AsSpan(0, rows * c), g = _logitGradient.AsSpan(0, rows * c);
                for (int i = 0; i < rows; i++)
                {
                    Span<double> zi = z.Slice(i * c, c);
                    Logits(o._x.AsSpan((start + i) * d, d), w, b, zi);
                    correct += TensorPrimitives.IndexOfMax<double>(zi) == o._labels[start + i] ? 1 : 0;
                }

                loss += FastSoftmax.CrossEntropy.LossAndGradient(z, o._labels.AsSpan(start, rows), g, c, Reduction.Sum);
                AddBlockGradient(gw, gb, o._x.AsSpan(start * d, rows * d), g, rows, d, c);
            }

            (LossSum, Correct) = (loss, correct);
        }
    }

    /// <summary>
    /// z[k] = W_k·x + b[k]: four classes per pass over x, so each load of x feeds four FMAs (inlined
    /// Vector&lt;T&gt; loops: at d = 64 a TensorPrimitives call costs more than its arithmetic).
    /// </summary>
    private static void Logits(ReadOnlySpan<double> x, ReadOnlySpan<double> w, ReadOnlySpan<double> b, Span<double> z)
    {
        int d = x.Length, c = z.Length, width = Vector<double>.Count, k = 0;
        for (; k + 4 <= c; k += 4)
        {
            ReadOnlySpan<double> w0 = w.Slice(k * d, d), w1 = w.Slice((k + 1) * d, d), w2 = w.Slice((k + 2) * d, d), w3 = w.Slice((k + 3) * d, d);
            Vector<double> a0 = default, a1 = default, a2 = default, a3 = default;
            int j = 0;
            for (; j + width <= d; j += width)
            {
                var xv = new Vector<double>(x.Slice(j));
                a0 += xv * new Vector<double>(w0.Slice(j));
                a1 += xv * new Vector<double>(w1.Slice(j));
                a2 += xv * new Vector<double>(w2.Slice(j));
                a3 += xv * new Vector<double>(w3.Slice(j));
            }

            double z0 = Vector.Sum(a0), z1 = Vector.Sum(a1), z2 = Vector.Sum(a2), z3 = Vector.Sum(a3);
            for (; j < d; j++)
            {
                z0 += x[j] * w0[j];
                z1 += x[j] * w1[j];
                z2 += x[j] * w2[j];
                z3 += x[j] * w3[j];
            }

            (z[k], z[k + 1], z[k + 2], z[k + 3]) = (z0 + b[k], z1 + b[k + 1], z2 + b[k + 2], z3 + b[k + 3]);
        }

        for (; k < c; k++)
        {
            ReadOnlySpan<double> wk = w.Slice(k * d, d);
            Vector<double> a = default;
            int j = 0;
            for (; j + width <= d; j += width)
            {
                a += new Vector<double>(x.Slice(j)) * new Vector<double>(wk.Slice(j));
            }

            double sum = Vector.Sum(a);
            for (; j < d; j++)
            {
                sum += x[j] * wk[j];
            }

            z[k] = sum + b[k];
        }
    }

    /// <summary>
    /// gw[k] += Σ_i g[i, k]·x_i and gb[k] += Σ_i g[i, k] over a block of rows. Four classes at a time
    /// keep their sums in registers across the block's rows, so each gradient row is loaded and stored
    /// once per block instead of once per sample (rank-1 updates were bound by those stores).
    /// </summary>
    private static void AddBlockGradient(Span<double> gw, Span<double> gb, ReadOnlySpan<double> x, ReadOnlySpan<double> g, int rows, int d, int c)
    {
        int width = Vector<double>.Count, k = 0;
        for (; k + 4 <= c; k += 4)
        {
            int j = 0;
            for (; j + width <= d; j += width)
            {
                Vector<double> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < rows; i++)
                {
                    var xv = new Vector<double>(x.Slice((i * d) + j));
                    int gi = (i * c) + k;
                    a0 += xv * g[gi];
                    a1 += xv * g[gi + 1];
                    a2 += xv * g[gi + 2];
                    a3 += xv * g[gi + 3];
                }

                Accumulate(gw.Slice((k * d) + j), a0);
                Accumulate(gw.Slice(((k + 1) * d) + j), a1);
                Accumulate(gw.Slice(((k + 2) * d) + j), a2);
                Accumulate(gw.Slice(((k + 3) * d) + j), a3);
            }

            for (; j < d; j++)
            {
                for (int q = k; q < k + 4; q++)
                {
                    double sum = 0;
                    for (int i = 0; i < rows; i++)
                    {
                        sum += x[(i * d) + j] * g[(i * c) + q];
                    }

                    gw[(q * d) + j] += sum;
                }
            }
        }

        for (; k < c; k++)
        {
            int j = 0;
            for (; j + width <= d; j += width)
            {
                Vector<double> a = default;
                for (int i = 0; i < rows; i++)
                {
                    a += new Vector<double>(x.Slice((i * d) + j)) * g[(i * c) + k];
                }

                Accumulate(gw.Slice((k * d) + j), a);
            }

            for (; j < d; j++)
            {
                double sum = 0;
                for (int i = 0; i < rows; i++)
                {
                    sum += x[(i * d) + j] * g[(i * c) + k];
                }

                gw[(k * d) + j] += sum;
            }
        }

        for (int i = 0; i < rows; i++)
        {
            for (int q = 0; q < c; q++)
            {
                gb[q] += g[(i * c) + q];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Span<double> destination, Vector<double> value) =>
        (new Vector<double>(destination) + value).CopyTo(destination);

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
