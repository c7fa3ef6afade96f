using System;
using FastSoftmax.Kernels;

namespace FastSoftmax;

/// <summary>
/// Numerically stable softmax over a vector or over each row of a row-major batch, in float and double.
/// </summary>
/// <remarks>
/// <para>
/// This computes p[i] = exp(s·(x[i] − max)) / Σⱼ exp(s·(x[j] − max)) with max = maxⱼ x[j] and s the
/// scale (1 unless given), which equals softmax(s·x) and never overflows for finite input. Each output
/// is within 4 ulp of the correctly rounded result where it is at least 1e-30 and its input is within
/// 20/s of the row max, and within 64 ulp beyond that (see docs/accuracy.md).
/// </para>
/// <para>Special values, per row: a NaN anywhere makes every output of that row NaN; −∞ entries get
/// exactly 0; a row of only −∞ (fully masked) gives all zeros; +∞ entries share the mass equally
/// (1/k each for k of them) and every other entry gets 0. Rows never affect each other.</para>
/// <para>destination may be exactly x (in place); any other overlap throws. Nothing is allocated.</para>
/// </remarks>
public static class Softmax
{
    /// <summary>Computes softmax(x) into <paramref name="destination"/>: exp(x[i] − max) / Σ exp(x[j] − max).</summary>
    /// <param name="x">The logits. Empty input does nothing.</param>
    /// <param name="destination">Receives the probabilities; the same length as x; may be x itself.</param>
    /// <exception cref="ArgumentException">destination's length differs from x's, or destination partially overlaps x.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> destination) =>
        Entry.SingleRow<SoftmaxRow<float>, float>(x, destination);

    /// <summary>Computes softmax(scale·row) for each row of the row-major batch x ([rows × rowLength]).</summary>
    /// <param name="x">The logits, rows one after another; x.Length must be a multiple of rowLength.</param>
    /// <param name="destination">Receives the probabilities; the same length as x; may be x itself.</param>
    /// <param name="rowLength">Elements per row (classes).</param>
    /// <param name="scale">Multiplies every logit inside the exponent (1/temperature, or 1/√d in attention); fused, not a pass of its own.</param>
    /// <param name="maxDegreeOfParallelism">Threads the rows may be split across, this one included: 1 (the default) keeps the call on this thread and allocation-free; −1 means every processor. A batch of fewer than 65,536 elements stays on this thread. The result is the same bit for bit; a split call allocates the one work item it hands the thread pool.</param>
    /// <exception cref="ArgumentOutOfRangeException">rowLength ≤ 0, scale is not finite and positive, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">x.Length is not a multiple of rowLength, destination's length differs from x's, or destination partially overlaps x.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> destination, int rowLength, float scale = 1f, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<SoftmaxRow<float>, float>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <inheritdoc cref="Forward(ReadOnlySpan{float}, Span{float})"/>
    public static void Forward(ReadOnlySpan<double> x, Span<double> destination) =>
        Entry.SingleRow<SoftmaxRow<double>, double>(x, destination);

    /// <inheritdoc cref="Forward(ReadOnlySpan{float}, Span{float}, int, float, int)"/>
    public static void Forward(ReadOnlySpan<double> x, Span<double> destination, int rowLength, double scale = 1d, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<SoftmaxRow<double>, double>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <summary>Computes dx = y ⊙ (dy − ⟨dy, y⟩), the gradient through softmax given its output y = softmax(x) and the upstream gradient dy.</summary>
    /// <param name="y">The forward output.</param>
    /// <param name="dy">The gradient of the loss with respect to y; the same length.</param>
    /// <param name="dx">Receives the gradient with respect to x; may be exactly y or dy.</param>
    /// <exception cref="ArgumentException">Lengths differ, or dx partially overlaps y or dy.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        EntryCrossEntropy.Backward<SoftmaxBackward<float>, float>(y, dy, dx, Math.Max(y.Length, 1));

    /// <summary>The same as <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> for each row of a row-major batch [rows × rowLength].</summary>
    /// <param name="y">The forward output, row by row.</param>
    /// <param name="dy">The gradient with respect to y; the same length.</param>
    /// <param name="dx">Receives the gradient with respect to x; may be exactly y or dy.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <exception cref="ArgumentOutOfRangeException">rowLength ≤ 0.</exception>
    /// <exception cref="ArgumentException">y.Length is not a multiple of rowLength, lengths differ, or dx partially overlaps y or dy.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rowLength) =>
        EntryCrossEntropy.Backward<SoftmaxBackward<float>, float>(y, dy, dx, rowLength);

    /// <inheritdoc cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    public static void Backward(ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx) =>
        EntryCrossEntropy.Backward<SoftmaxBackward<double>, double>(y, dy, dx, Math.Max(y.Length, 1));

    /// <inheritdoc cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>
    public static void Backward(ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx, int rowLength) =>
        EntryCrossEntropy.Backward<SoftmaxBackward<double>, double>(y, dy, dx, rowLength);
}
