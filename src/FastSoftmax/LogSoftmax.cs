using System;
using FastSoftmax.Kernels;

namespace FastSoftmax;

/// <summary>
/// Numerically stable log-softmax over a vector or over each row of a row-major batch, in float and double.
/// </summary>
/// <remarks>
/// <para>
/// This computes y[i] = s·(x[i] − max) − log Σⱼ exp(s·(x[j] − max)), which equals log(softmax(s·x)[i])
/// but is never computed as the log of a probability: it stays finite where the probability underflows,
/// and entries near 0 keep their relative accuracy. Each output is within 4 ulp of the correctly rounded
/// result where its input is within 20/s of the row max, and within 64 ulp beyond that.
/// </para>
/// <para>Special values, per row: a NaN anywhere makes every output of that row NaN; −∞ entries give −∞;
/// a row of only −∞ (fully masked) gives all −∞; k entries of +∞ give −log(k) each and −∞ elsewhere.</para>
/// <para>destination may be exactly x (in place); any other overlap throws. Nothing is allocated.</para>
/// </remarks>
public static class LogSoftmax
{
    /// <summary>Computes log-softmax(x) into <paramref name="destination"/>: (x[i] − max) − log Σ exp(x[j] − max).</summary>
    /// <param name="x">The logits. Empty input does nothing.</param>
    /// <param name="destination">Receives the log-probabilities; the same length as x; may be x itself.</param>
    /// <exception cref="ArgumentException">destination's length differs from x's, or destination partially overlaps x.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> destination) =>
        Entry.SingleRow<LogSoftmaxRow<float>, float>(x, destination);

    /// <summary>Computes log-softmax(scale·row) for each row of the row-major batch x ([rows × rowLength]).</summary>
    /// <param name="x">The logits, rows one after another; x.Length must be a multiple of rowLength.</param>
    /// <param name="destination">Receives the log-probabilities; the same length as x; may be x itself.</param>
    /// <param name="rowLength">Elements per row (classes).</param>
    /// <param name="scale">Multiplies every logit (1/temperature); fused into the kernel.</param>
    /// <param name="maxDegreeOfParallelism">Threads the rows may be split across, this one included: 1 (the default) keeps the call on this thread and allocation-free; −1 means every processor. A batch of fewer than 65,536 elements stays on this thread. The result is the same bit for bit; a split call allocates the one work item it hands the thread pool.</param>
    /// <exception cref="ArgumentOutOfRangeException">rowLength ≤ 0, scale is not finite and positive, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">x.Length is not a multiple of rowLength, destination's length differs from x's, or destination partially overlaps x.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> destination, int rowLength, float scale = 1f, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<LogSoftmaxRow<float>, float>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <inheritdoc cref="Forward(ReadOnlySpan{float}, Span{float})"/>
    public static void Forward(ReadOnlySpan<double> x, Span<double> destination) =>
        Entry.SingleRow<LogSoftmaxRow<double>, double>(x, destination);

    /// <inheritdoc cref="Forward(ReadOnlySpan{float}, Span{float}, int, float, int)"/>
    public static void Forward(ReadOnlySpan<double> x, Span<double> destination, int rowLength, double scale = 1d, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<LogSoftmaxRow<double>, double>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <summary>Computes dx = dy − exp(y)·Σ dy, the gradient through log-softmax given its output y = log-softmax(x) and the upstream gradient dy.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the loss with respect to y; the same length.</param>
    /// <param name="dx">Receives the gradient with respect to x; may be exactly y or dy.</param>
    /// <exception cref="ArgumentException">Lengths differ, or dx partially overlaps y or dy. y must hold log-probabilities (≤ 0): a positive y throws before dx is written.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        EntryCrossEntropy.Backward<LogSoftmaxBackward<float>, float>(y, dy, dx, Math.Max(y.Length, 1));

    /// <summary>The same as <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> for each row of a row-major batch [rows × rowLength].</summary>
    /// <param name="y">The forward output, row by row.</param>
    /// <param name="dy">The gradient with respect to y; the same length.</param>
    /// <param name="dx">Receives the gradient with respect to x; may be exactly y or dy.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <exception cref="ArgumentOutOfRangeException">rowLength ≤ 0.</exception>
    /// <exception cref="ArgumentException">y.Length is not a multiple of rowLength, lengths differ, or dx partially overlaps y or dy. y must hold log-probabilities (≤ 0): a positive y throws before dx is written.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rowLength) =>
        EntryCrossEntropy.Backward<LogSoftmaxBackward<float>, float>(y, dy, dx, rowLength);

    /// <inheritdoc cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    public static void Backward(ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx) =>
        EntryCrossEntropy.Backward<LogSoftmaxBackward<double>, double>(y, dy, dx, Math.Max(y.Length, 1));

    /// <inheritdoc cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>
    public static void Backward(ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength) =>
        EntryCrossEntropy.Backward<LogSoftmaxBackward<double>, double>(y, dy, dx, rowLength);
}
