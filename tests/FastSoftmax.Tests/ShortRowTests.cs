using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// Rows that fit one register run masked: these check that the masked loads and stores touch nothing
/// outside the row, on every width, for every length up to one past a Vector512.
/// </summary>
public class ShortRowTests
{
    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Short_rows_read_and_write_nothing_outside_the_row_in_float(Op op) => Check<float>(op);

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Short_rows_read_and_write_nothing_outside_the_row_in_double(Op op) => Check<double>(op);

    public static IEnumerable<object[]> WidthsAndOptions =>
        from w in Dispatch.Supported
        from weighted in new[] { false, true }
        from smoothing in new[] { 0.0, 0.1 }
        select new object[] { (int)w, weighted, smoothing };

    /// <summary>
    /// Hard-label rows of up to 16 classes go a register of rows at a time: 37 rows (two full Vector512
    /// blocks and a partial one) with NaN, +∞, fully masked and ignored rows inside the blocks, in float
    /// and double, give each row the bits it gets alone, and the same bits in place.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsAndOptions))]
    public void Short_cross_entropy_rows_give_the_same_bits_in_a_batch_and_alone(int width, bool weighted, double smoothing)
    {
        CheckBatchedEqualsAlone<float>((KernelWidth)width, weighted, smoothing);
        CheckBatchedEqualsAlone<double>((KernelWidth)width, weighted, smoothing);
    }

    private static void CheckBatchedEqualsAlone<T>(KernelWidth width, bool weighted, double smoothing)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int Rows = 37;
        var random = new Random(37);
        for (int classes = 1; classes <= 17; classes++)
        {
            T[] logits = Enumerable.Range(0, Rows * classes).Select(_ => T.CreateTruncating(12 * ((2 * random.NextDouble()) - 1))).ToArray();
            logits[(3 * classes) + (classes / 2)] = T.NaN;
            logits[(20 * classes) + (classes - 1)] = T.PositiveInfinity;
            logits.AsSpan(21 * classes, classes).Fill(T.NegativeInfinity);
            logits[35 * classes] = T.NegativeInfinity;
            int[] labels = Enumerable.Range(0, Rows).Select(r => r is 5 or 30 ? CrossEntropy.DefaultIgnoreIndex : random.Next(classes)).ToArray();
            T[]? weights = weighted ? Enumerable.Range(0, classes).Select(j => T.CreateTruncating(j % 3 == 0 ? 0 : 0.5 + random.NextDouble())).ToArray() : null;
            var batch = new CrossEntropyCall<T>(logits, classes, labels, Weights: weights, Smoothing: smoothing);
            (_, T[] losses, T[] gradient) = batch.Run(width, perRow: true);
            var inPlace = batch with { Logits = (T[])logits.Clone() };
            (_, T[] inPlaceLosses, _) = inPlace.Run(width, perRow: true, gradientBuffer: inPlace.Logits);
            Assert.True(inPlaceLosses.SequenceEqual(losses), $"{typeof(T).Name} {width} C={classes}: losses differ in place");
            Assert.True(inPlace.Logits.SequenceEqual(gradient), $"{typeof(T).Name} {width} C={classes}: gradient differs in place");
            for (int r = 0; r < Rows; r++)
            {
                var alone = batch with { Logits = logits.AsSpan(r * classes, classes).ToArray(), Labels = [labels[r]] };
                (_, T[] rowLoss, T[] rowGradient) = alone.Run(width, perRow: true);
                Assert.True(rowLoss[0].Equals(losses[r]), $"{typeof(T).Name} {width} C={classes} row {r}: loss {losses[r]} in the batch, {rowLoss[0]} alone");
                Assert.True(
                    rowGradient.SequenceEqual(gradient.Skip(r * classes).Take(classes)),
                    $"{typeof(T).Name} {width} C={classes} row {r}: gradient differs in the batch");
            }
        }
    }

    /// <summary>
    /// 3 rows (no whole block), then 16: a whole transposed block in float, two in double (8 rows each),
    /// the last ending at the margin; an ignored row among them and a computed last row.
    /// </summary>
    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.1)]
    public void Short_cross_entropy_rows_read_and_write_nothing_outside_the_rows(bool weighted, double smoothing)
    {
        CheckInsideRows<float>(weighted, smoothing);
        CheckInsideRows<double>(weighted, smoothing);
    }

    private static void CheckInsideRows<T>(bool weighted, double smoothing)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int Margin = 24;
        T sentinel = T.CreateTruncating(12345);
        var random = new Random(18);
        foreach ((int rows, KernelWidth width) in from r in new[] { 3, 16 } from w in Dispatch.Supported select (r, w))
        {
            for (int classes = 1; classes <= 17; classes++)
            {
                T[] logits = Surrounded(rows * classes, Margin, i => T.CreateTruncating(8 * ((2 * random.NextDouble()) - 1)));
                T[] weights = Surrounded(classes, Margin, i => T.CreateTruncating(0.5 + random.NextDouble()));
                int[] labels = Enumerable.Range(0, rows).Select(r => r == 1 ? CrossEntropy.DefaultIgnoreIndex : r % classes).ToArray();
                T[] gradient = Enumerable.Repeat(sentinel, (rows * classes) + (2 * Margin)).ToArray();
                ReadOnlySpan<T> w = weighted ? weights.AsSpan(Margin, classes) : default;
                T loss = EntryCrossEntropy.Run<T>(
                    logits.AsSpan(Margin, rows * classes), labels, default, false, default, false, gradient.AsSpan(Margin, rows * classes), true,
                    classes, Reduction.Sum, w, CrossEntropy.DefaultIgnoreIndex, T.CreateTruncating(smoothing), width);
                var expectedGradient = new T[rows * classes];
                T expected = EntryCrossEntropy.Run<T>(
                    logits.AsSpan(Margin, rows * classes), labels, default, false, default, false, expectedGradient, true,
                    classes, Reduction.Sum, w, CrossEntropy.DefaultIgnoreIndex, T.CreateTruncating(smoothing), KernelWidth.Scalar);

                Assert.True(T.IsFinite(loss) && Ulp.Distance(loss, expected) <= 1, $"{typeof(T).Name} {width} {rows} x {classes}: loss {loss}, scalar {expected}");
                for (int i = 0; i < gradient.Length; i++)
                {
                    bool inside = i >= Margin && i < Margin + (rows * classes);
                    Assert.True(
                        inside ? T.IsFinite(gradient[i]) : gradient[i] == sentinel,
                        $"{typeof(T).Name} {width} {rows} x {classes}: gradient buffer [{i - Margin}] = {gradient[i]}");
                }
            }
        }
    }

    // Batches of 2-16 classes run 16 rows at a time transposed (AVX-512): softmax, log-softmax and
    // log-sum-exp. Each row must come out as the one-register path computes it alone, bit for bit,
    // special rows, rows with tied maxima and a partial last block included.
    [Theory]
    [InlineData(1f, Op.Softmax)]
    [InlineData(0.37f, Op.Softmax)]
    [InlineData(1f, Op.LogSoftmax)]
    [InlineData(0.37f, Op.LogSoftmax)]
    [InlineData(1f, Op.LogSumExp)]
    [InlineData(0.37f, Op.LogSumExp)]
    public void Transposed_blocks_equal_rows_computed_one_by_one(float scale, Op op)
    {
        var random = new Random(19);
        for (int classes = 2; classes <= 16; classes++)
        {
            const int Rows = 53; // three blocks of 16 and 5 rows after them
            float[] x = new float[Rows * classes];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)(random.Next(4) == 0 ? -60 * random.NextDouble() : 8 * ((2 * random.NextDouble()) - 1));
            }

            // Block 2 holds a NaN row, a +∞ row and a fully masked row (the +∞ sends the block row by
            // row); block 3 an entry past exp's underflow, a row with its max twice and a row of equal
            // entries.
            x[(17 * classes) + 1] = float.NaN;
            x[(20 * classes) + 1] = float.PositiveInfinity;
            for (int j = 0; j < classes; j++)
            {
                x[(22 * classes) + j] = float.NegativeInfinity;
                x[(44 * classes) + j] = 3.25f;
            }

            x[(40 * classes) + 1] = -200f;

            // Block 3 also holds NaN rows without an infinity in the block, at the first, a middle and
            // the last class: the block's max can miss a NaN (vmaxps returns its second operand where
            // either is NaN), and then the block's own exps must give those rows' bits.
            x[34 * classes] = float.NaN;
            x[(36 * classes) + (classes / 2)] = float.NaN;
            x[(38 * classes) + classes - 1] = float.NaN;
            (x[42 * classes], x[(42 * classes) + classes - 1]) = (9.5f, 9.5f);
            int outputs = Ops.OutputsPerRow(op, classes);
            float[] batched = new float[Rows * outputs], inPlace = (float[])x.Clone();
            Ops.Rows<float>(op, x, batched, classes, scale, KernelWidth.Vector512);
            if (outputs == classes)
            {
                Ops.Rows<float>(op, inPlace, inPlace, classes, scale, KernelWidth.Vector512);
            }

            for (int r = 0; r < Rows; r++)
            {
                float[] row = new float[outputs];
                Ops.Rows<float>(op, x.AsSpan(r * classes, classes), row, classes, scale, KernelWidth.Vector512);
                for (int j = 0; j < outputs; j++)
                {
                    int at = (r * outputs) + j;
                    float inPlaceValue = outputs == classes ? inPlace[at] : batched[at];
                    Assert.True(
                        Ulp.Bits(row[j]) == Ulp.Bits(batched[at]) && Ulp.Bits(row[j]) == Ulp.Bits(inPlaceValue),
                        $"{op} classes={classes} row {r} [{j}]: alone {row[j]:R}, batched {batched[at]:R}, in place {inPlaceValue:R}");
                }
            }
        }
    }

    /// <summary>length values from value(i), with NaN and +∞ on either side (margin of each).</summary>
    private static T[] Surrounded<T>(int length, int margin, Func<int, T> value)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var buffer = new T[length + (2 * margin)];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = i >= margin && i < margin + length ? value(i - margin) : i % 2 == 0 ? T.NaN : T.PositiveInfinity;
        }

        return buffer;
    }

    private static void Check<T>(Op op)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int Margin = 24;
        T sentinel = T.CreateTruncating(12345.0);
        var random = new Random(17);
        foreach (KernelWidth width in Dispatch.Supported)
        {
            for (int n = 1; n <= 17; n++)
            {
                foreach (int rows in new[] { 1, 2, 3, 16, 32 }) // 16 and 32: whole transposed blocks, the last at the margin
                {
                    // NaN and +∞ around the rows: a masked load that read them would turn the outputs NaN.
                    T[] xBuffer = Surrounded(rows * n, Margin, i => T.CreateTruncating(8 * ((2 * random.NextDouble()) - 1)));

                    int outputs = rows * Ops.OutputsPerRow(op, n);
                    T[] yBuffer = Enumerable.Repeat(sentinel, outputs + (2 * Margin)).ToArray();
                    Ops.Rows<T>(op, xBuffer.AsSpan(Margin, rows * n), yBuffer.AsSpan(Margin, outputs), n, T.One, width);

                    T[] expected = new T[outputs];
                    Ops.Rows<T>(op, xBuffer.AsSpan(Margin, rows * n), expected, n, T.One, KernelWidth.Scalar);
                    for (int i = 0; i < yBuffer.Length; i++)
                    {
                        bool inside = i >= Margin && i < Margin + outputs;
                        if (inside)
                        {
                            T y = yBuffer[i];
                            Assert.True(T.IsFinite(y), $"{width} n={n} rows={rows} [{i - Margin}] = {y} (read outside the row?)");
                            Assert.True(Ulp.Distance(y, expected[i - Margin]) <= 1, $"{width} n={n} rows={rows} [{i - Margin}]: {y:R}, scalar {expected[i - Margin]:R}");
                        }
                        else
                        {
                            Assert.True(yBuffer[i] == sentinel, $"{width} n={n} rows={rows}: wrote {yBuffer[i]} at {i - Margin}, outside the destination");
                        }
                    }
                }
            }
        }
    }
}
