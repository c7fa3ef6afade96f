using System;
using FastSoftmax.Kernels;

namespace FastSoftmax;

/// <summary>
/// Numerically stable log-sum-exp of a vector or of each row of a row-major batch, in float and double.
/// </summary>
/// <remarks>
/// <para>
/// This computes s·max + log Σⱼ exp(s·(x[j] − max)) = log Σⱼ exp(s·x[j]), with max = maxⱼ x[j]: it
/// overflows only where the result itself does. Within 4 ulp of the correctly rounded result (for
/// double, except where s·max and the log nearly cancel: then within 2 ulp of max(|s·max|, log n)).
/// </para>
/// <para>Special values: empty input gives −∞; a NaN anywhere gives NaN; −∞ entries add nothing, so a
/// row of only −∞ gives −∞; any +∞ entry gives +∞.</para>
/// <para>Nothing is allocated.</para>
/// </remarks>
public static class LogSumExp
{
    /// <summary>Returns log Σ exp(x[i]), computed as max + log Σ exp(x[i] − max).</summary>
    /// <param name="x">The values; empty gives −∞.</param>
    /// <returns>The log-sum-exp of x.</returns>
    public static float Compute(ReadOnlySpan<float> x) => Entry.LogSumExp(x);

    /// <summary>Writes log Σ exp(scale·row) for each row of the row-major batch x ([rows × rowLength]) into destination, one value per row.</summary>
    /// <param name="x">The values, rows one after another; x.Length must be a multiple of rowLength.</param>
    /// <param name="destination">Receives one value per row: its length must be x.Length / rowLength. Must not overlap x.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="scale">Multiplies every value inside the exponent (1/temperature).</param>
    /// <param name="maxDegreeOfParallelism">Threads the rows may be split across, this one included: 1 (the default) keeps the call on this thread and allocation-free; −1 means every processor. A batch of fewer than 65,536 elements stays on this thread. The result is the same bit for bit; a split call allocates the one work item it hands the thread pool.</param>
    /// <exception cref="ArgumentOutOfRangeException">rowLength ≤ 0, scale is not finite and positive, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">x.Length is not a multiple of rowLength, destination's length is not the row count, or destination overlaps x.</exception>
    public static void Compute(ReadOnlySpan<float> x, Span<float> destination, int rowLength, float scale = 1f, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<LogSumExpRow<float>, float>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <inheritdoc cref="Compute(ReadOnlySpan{float})"/>
    public static double Compute(ReadOnlySpan<double> x) => Entry.LogSumExp(x);

    /// <inheritdoc cref="Compute(ReadOnlySpan{float}, Span{float}, int, float, int)"/>
    public static void Compute(ReadOnlySpan<double> x, Span<double> destination, int rowLength, double scale = 1d, int maxDegreeOfParallelism = 1) =>
        Entry.Rows<LogSumExpRow<double>, double>(x, destination, rowLength, scale, maxDegreeOfParallelism: maxDegreeOfParallelism);
}
