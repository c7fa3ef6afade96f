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
    private readonly float[] _x;       // [n × dp], standardized if asked, zero-padded columns
    private readonly double[] _w;      // W [cp × dp], zero-padded: refreshed from θ each evaluation
    private readonly int[] _labels;
    private readonly Worker[] _workers;
    private readonly double[]? _mean;
    private readonly double[]? _inverseStd;
    private readonly int _n, _d, _c, _dp;
    private readonly double _lambda;

    public Objective(ReadOnlySpan<float> features, int[] labels, int n, int d, int c, double lambda, bool standardize, int threads = 1)
    {
        (_n, _d, _c, _lambda, _labels) = (n, d, c, lambda, labels);
        _dp = Products.PaddedColumns(d);
        _x = new float[n * _dp];
        _w = new double[Products.PaddedClasses(c) * _dp];
        for (int i = 0; i < n; i++)
        {
            features.Slice(i * d, d).CopyTo(_x.AsSpan(i * _dp, d));
        }

        if (standardize)
        {
            _mean = new double[d];
            _inverseStd = new double[d];
            for (int j = 0; j < d; j++)
            {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += features[(i * d) + j];
                }

                double mean = sum / n;
                for (int i = 0; i < n; i++)
                {
                    double v = features[(i * d) + j] - mean;
                    squares += v * v;
                }

                double std = Math.Sqrt(squares / n);
                _mean[j] = mean;
                _inverseStd[j] = std > 0 ? 1 / std : 1; // a constant feature stays 0 after centring
                for (int i = 0; i < n; i++)
                {
                    // Rounded to float, as the model will standardize a sample at prediction time.
                    _x[(i * _dp) + j] = (float)((features[(i * d) + j] - mean) * _inverseStd[j]);
                }
            }
        }

        _workers = new Worker[Math.Max(1, Math.Min(threads, n / BlockRows))];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Worker(_dp, c);
        }
    }

    public int Parameters => (_c * _d) + _c;

    public int Rows => _n;

    /// <summary>Objective at θ, its gradient into <paramref name="gradient"/>, the mean cross-entropy and the training accuracy.</summary>
    /// <remarks>
    /// With several workers, each owns a fixed contiguous share of the rows and its own
    /// gradient buffer; the shares are added in worker order, so results do not depend on scheduling.
    /// </remarks>
    public (double Objective, double CrossEntropy, double Accuracy) Evaluate(double[] theta, double[] gradient)
    {
        for (int k = 0; k < _c; k++)
        {
            theta.AsSpan(k * _d, _d).CopyTo(_w.AsSpan(k * _dp, _d));
        }

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
            for (int k = 0; k < _c; k++)
            {
                Span<double> row = gradient.AsSpan(k * _d, _d);
                TensorPrimitives.Add(row, worker.WeightGradient.AsSpan(k * _dp, _d), row);
            }

            Span<double> gb = gradient.AsSpan(_c * _d, _c);
            TensorPrimitives.Add(gb, worker.BiasGradient, gb);
        }

        ReadOnlySpan<double> w = theta.AsSpan(0, _c * _d);
        TensorPrimitives.Multiply(gradient, 1.0 / _n, gradient);
        Span<double> gw = gradient.AsSpan(0, _c * _d);
        TensorPrimitives.MultiplyAdd(w, _lambda, gw, gw);
        double crossEntropy = lossSum / _n;
        return (crossEntropy + (0.5 * _lambda * TensorPrimitives.Dot(w, w)), crossEntropy, (double)correct / _n);
    }

    /// <summary>Rows per block: 64 rows of MNIST's 784 floats are 200 KB, inside L2.</summary>
    private const int BlockRows = 64;

    /// <summary>One worker's buffers: its share's summed loss, correct count and unscaled, padded gradient.</summary>
    private sealed class Worker(int dp, int classes)
    {
        private readonly double[] _logits = new double[BlockRows * classes];
        private readonly double[] _logitGradient = new double[BlockRows * classes];
        private readonly double[] _paddedLogitGradient = new double[BlockRows * Products.PaddedClasses(classes)];

        public double[] WeightGradient { get; } = new double[Products.PaddedClasses(classes) * dp];

        public double[] BiasGradient { get; } = new double[classes];

        public double LossSum { get; private set; }

        public int Correct { get; private set; }

        /// <summary>The rows [from, to) at the widest register of doubles this machine has.</summary>
        public void Run(Objective o, double[] theta, int from, int to)
        {
            if (Doubles512.IsSupported)
            {
                Run<Doubles512, System.Runtime.Intrinsics.Vector512<double>>(o, theta, from, to);
            }
            else if (Doubles256.IsSupported)
            {
                Run<Doubles256, System.Runtime.Intrinsics.Vector256<double>>(o, theta, from, to);
            }
            else
            {
                Run<Doubles128, System.Runtime.Intrinsics.Vector128<double>>(o, theta, from, to);
            }
        }

        /// <remarks>
        /// Rows are taken in blocks of <see cref="BlockRows"/>: logits, the fused cross-entropy and the
        /// weight gradient all run while the block's rows are in cache, so X is read once per evaluation.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the whole of training: no tier-0 pass
        private void Run<TV, TVec>(Objective o, double[] theta, int from, int to)
            where TV : IDoubleVector<TVec>
            where TVec : struct
        {
            int dp = o._dp, c = o._c, cp = Products.PaddedClasses(c);
            ReadOnlySpan<double> b = theta.AsSpan(c * o._d, c);
            Array.Clear(WeightGradient);
            Array.Clear(BiasGradient);
            double loss = 0;
            int correct = 0;
            for (int start = from; start < to; start += BlockRows)
            {
                int rows = Math.Min(BlockRows, to - start);
                // The gradient goes straight to the padded buffer where there is no padding (10 classes).
                Span<double> z = _logits.AsSpan(0, rows * c), g = (cp == c ? _paddedLogitGradient : _logitGradient).AsSpan(0, rows * c);
                ReadOnlySpan<float> x = o._x.AsSpan(start * dp, rows * dp);
                Products.Logits<TV, TVec>(x, o._w, b, z, rows, dp, c);
                for (int i = 0; i < rows; i++)
                {
                    correct += LabelIsFirstLargest(z.Slice(i * c, c), o._labels[start + i]) ? 1 : 0;
                }

                loss += FastSoftmax.CrossEntropy.LossAndGradient(z, o._labels.AsSpan(start, rows), g, c, Reduction.Sum);
                for (int i = 0; cp != c && i < rows; i++)
                {
                    g.Slice(i * c, c).CopyTo(_paddedLogitGradient.AsSpan(i * cp, c)); // padding columns stay 0
                }

                Products.AddWeightGradient<TV, TVec>(x, _paddedLogitGradient, WeightGradient, BiasGradient, rows, dp, c);
            }

            (LossSum, Correct) = (loss, correct);
        }
    }

    /// <summary>
    /// argmax(z) == label for finite z, argmax taking the first of equal largest values (as
    /// TensorPrimitives.IndexOfMax, which costs three times as much on a row of 10).
    /// </summary>
    private static bool LabelIsFirstLargest(ReadOnlySpan<double> z, int label)
    {
        double v = z[label];
        for (int j = 0; j < z.Length; j++)
        {
            if (j < label ? z[j] >= v : z[j] > v)
            {
                return false;
            }
        }

        return true;
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
