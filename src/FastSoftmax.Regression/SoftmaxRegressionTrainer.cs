using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Threading;

namespace FastSoftmax.Regression;

/// <summary>Fits a <see cref="SoftmaxRegressionModel"/> by full-batch L-BFGS on the L2-penalised mean cross-entropy.</summary>
public static class SoftmaxRegressionTrainer
{
    /// <summary>
    /// Fits W and b minimising (1/n)·Σ CE(softmax(W·x_i + b), y_i) + (λ/2)·‖W‖² (biases not penalised).
    /// Deterministic: the same data and options give the same model.
    /// </summary>
    /// <param name="features">Row-major [n × featureCount], finite; n ≥ 1.</param>
    /// <param name="labels">n labels in [0, classes).</param>
    /// <param name="featureCount">d, features per sample.</param>
    /// <param name="classes">C, the number of classes (≥ 2).</param>
    /// <param name="options">Penalty, iterations, tolerance, standardization; null for the defaults.</param>
    /// <param name="progress">Receives one report per iteration, or null.</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <returns>The fitted model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">featureCount ≤ 0, classes &lt; 2, a label outside [0, classes), or a bad option.</exception>
    /// <exception cref="ArgumentException">No rows, lengths that do not match, or a feature that is not finite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static SoftmaxRegressionModel Fit(
        ReadOnlySpan<float> features, ReadOnlySpan<int> labels, int featureCount, int classes,
        SoftmaxRegressionOptions? options = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new SoftmaxRegressionOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (features.IsEmpty || features.Length % featureCount != 0)
        {
            throw new ArgumentException($"features.Length ({features.Length}) must be a positive multiple of featureCount ({featureCount}).", nameof(features));
        }

        int n = features.Length / featureCount;
        if (labels.Length != n)
        {
            throw new ArgumentException($"labels.Length ({labels.Length}) must be the number of rows ({n}).", nameof(labels));
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"labels[{i}] = {labels[i]} is outside [0, {classes}).");
            }
        }

        if (!TensorPrimitives.IsFiniteAll(features))
        {
            throw new ArgumentException("features must be finite.", nameof(features));
        }

        var objective = new Objective(features, labels.ToArray(), n, featureCount, classes, options.L2 ?? (1.0 / n), options.Standardize, options.Threads);
        double[] theta = Minimize(objective, options, progress, cancellationToken);
        return objective.ToModel(theta);
    }

    /// <summary>L-BFGS (two-loop recursion) with a backtracking Armijo line search from the unit step.</summary>
    private static double[] Minimize(Objective objective, SoftmaxRegressionOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        int p = objective.Parameters, m = options.History;
        var clock = Stopwatch.StartNew();
        double[] x = new double[p], g = new double[p], direction = new double[p], xNew = new double[p], gNew = new double[p];
        double[][] s = new double[m][], y = new double[m][];
        double[] rho = new double[m], alpha = new double[m];
        for (int k = 0; k < m; k++)
        {
            s[k] = new double[p];
            y[k] = new double[p];
        }

        (double f, _, _) = objective.Evaluate(x, g);
        int stored = 0, newest = -1;
        for (int iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // scikit-learn's rule: the gradient of the summed objective n·J (MaxMagnitude keeps the sign).
            if (Math.Abs(TensorPrimitives.MaxMagnitude<double>(g)) * objective.Rows <= options.Tolerance)
            {
                break;
            }

            // direction = −H·g by the two-loop recursion over the stored pairs, newest first.
            g.CopyTo(direction, 0);
            for (int j = 0; j < stored; j++)
            {
                int k = (newest - j + m) % m;
                alpha[k] = rho[k] * TensorPrimitives.Dot<double>(s[k], direction);
                TensorPrimitives.MultiplyAdd<double>(y[k], -alpha[k], direction, direction);
            }

            double gamma = stored > 0 ? TensorPrimitives.Dot<double>(s[newest], y[newest]) / TensorPrimitives.Dot<double>(y[newest], y[newest]) : 1 / Math.Max(1, TensorPrimitives.Norm<double>(g));
            TensorPrimitives.Multiply<double>(direction, gamma, direction);
            for (int j = stored - 1; j >= 0; j--)
            {
                int k = (newest - j + m) % m;
                double beta = rho[k] * TensorPrimitives.Dot<double>(y[k], direction);
                TensorPrimitives.MultiplyAdd<double>(s[k], alpha[k] - beta, direction, direction);
            }

            TensorPrimitives.Negate<double>(direction, direction);
            double slope = TensorPrimitives.Dot<double>(g, direction);
            if (!(slope < 0))
            {
                // Not a descent direction (curvature lost): restart from steepest descent.
                stored = 0;
                TensorPrimitives.Negate<double>(g, direction);
                TensorPrimitives.Multiply<double>(direction, 1 / Math.Max(1, TensorPrimitives.Norm<double>(g)), direction);
                slope = TensorPrimitives.Dot<double>(g, direction);
            }

            double step = 1, fNew = f, crossEntropy = 0, accuracy = 0;
            bool accepted = false;
            for (int attempt = 0; attempt < 40; attempt++)
            {
                TensorPrimitives.MultiplyAdd<double>(direction, step, x, xNew);
                (fNew, crossEntropy, accuracy) = objective.Evaluate(xNew, gNew);
                if (fNew <= f + (1e-4 * step * slope))
                {
                    accepted = true;
                    break;
                }

                step *= 0.5;
            }

            if (!accepted)
            {
                break; // no decrease along a descent direction: at the optimum to working precision
            }

            newest = (newest + 1) % m;
            TensorPrimitives.Subtract<double>(xNew, x, s[newest]);
            TensorPrimitives.Subtract<double>(gNew, g, y[newest]);
            double sy = TensorPrimitives.Dot<double>(s[newest], y[newest]);
            if (sy > 1e-12 * TensorPrimitives.Dot<double>(y[newest], y[newest]))
            {
                rho[newest] = 1 / sy;
                stored = Math.Min(stored + 1, m);
            }
            else
            {
                newest = (newest - 1 + m) % m; // keep H positive definite: drop the pair
            }

            double previous = f;
            (x, xNew) = (xNew, x);
            (g, gNew) = (gNew, g);
            f = fNew;
            progress?.Report(new TrainingProgress(iteration, f, crossEntropy, accuracy, clock.Elapsed));
            if (previous - f <= 64 * double.Epsilon * Math.Max(1, Math.Abs(f)) + (2.2e-16 * Math.Abs(f)))
            {
                break;
            }
        }

        return x;
    }
}
