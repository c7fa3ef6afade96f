using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using FastSoftmax.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace FastSoftmax.Tests;

/// <summary>
/// Every output against the correctly rounded mpmath value: at most 4 ulp where the output is at
/// least 1e-30 in magnitude and its input within 20/scale of the row max, at most 64 ulp elsewhere,
/// and NaN, ±∞ and zeros exactly where the reference has them.
/// </summary>
public class ReferenceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> OpsAndWidths =>
        from op in Enum.GetValues<Op>()
        from w in Dispatch.Supported
        select new object[] { op, (int)w };

    [Theory]
    [MemberData(nameof(OpsAndWidths))]
    public void Float_outputs_are_within_the_ulp_bound_on_every_width(Op op, int width) =>
        CheckEveryCase<float>(op, (x, s) => RunRows(op, x, s, (KernelWidth)width));

    [Theory]
    [MemberData(nameof(OpsAndWidths))]
    public void Double_outputs_are_within_the_ulp_bound_on_every_width(Op op, int width) =>
        CheckEveryCase<double>(op, (x, s) => RunRows(op, x, s, (KernelWidth)width));

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Float_public_api_is_within_the_ulp_bound(Op op) =>
        CheckEveryCase<float>(op, (x, s) => Ops.Public(op, x, s));

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Double_public_api_is_within_the_ulp_bound(Op op) =>
        CheckEveryCase<double>(op, (x, s) => Ops.Public(op, x, s));

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Float_batch_rows_match_the_reference_and_a_nan_row_does_not_leak(Op op) =>
        CheckEveryCase<float>(op, (x, s) => RunBatchMiddleRow(op, x, s));

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Double_batch_rows_match_the_reference_and_a_nan_row_does_not_leak(Op op) =>
        CheckEveryCase<double>(op, (x, s) => RunBatchMiddleRow(op, x, s));

    public static IEnumerable<object[]> OpsWidthsAndBlockLengths =>
        from op in Enum.GetValues<Op>()
        from w in Dispatch.Supported
        from blockLength in new[] { 16, 37 }
        from inPlace in op == Op.LogSumExp ? new[] { false } : new[] { false, true }
        from streaming in op == Op.Softmax ? new[] { false, true } : new[] { false }
        select new object[] { op, (int)w, blockLength, inPlace, streaming };

    /// <summary>
    /// The blocked sweeps that long float rows take, run here at small blocks so every reference row
    /// has several: softmax with and without the streaming stores of the rows beyond the caches,
    /// log-softmax in and out of place, log-sum-exp.
    /// </summary>
    [Theory]
    [MemberData(nameof(OpsWidthsAndBlockLengths))]
    public void Float_blocked_rows_are_within_the_ulp_bound_on_every_width(Op op, int width, int blockLength, bool inPlace, bool streaming) =>
        CheckEveryCase<float>(op, (x, s) => RunBlocked(op, x, s, (KernelWidth)width, blockLength, inPlace, streaming ? 0u : nuint.MaxValue));

    private static float[] RunBlocked(Op op, float[] x, float scale, KernelWidth width, int blockLength, bool inPlace, nuint minStreamingLength)
    {
        float[] y = inPlace ? (float[])x.Clone() : new float[Ops.OutputsPerRow(op, x.Length)];
        float[] input = inPlace ? y : x;
        if (x.Length < blockLength)
        {
            Ops.Rows<float>(op, input, y, x.Length, scale, width);
            return y;
        }

        Ops.Blocked(op, width, input, y, scale, (nuint)blockLength, minStreamingLength);
        return y;
    }

    private static T[] RunRows<T>(Op op, T[] x, T scale, KernelWidth width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var y = new T[Ops.OutputsPerRow(op, x.Length)];
        Ops.Rows<T>(op, x, y, x.Length, scale, width);
        return y;
    }

    // Three rows: all NaN, the case, all NaN; returns the middle row's outputs.
    private static T[] RunBatchMiddleRow<T>(Op op, T[] x, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = x.Length, m = Ops.OutputsPerRow(op, n);
        var batch = new T[3 * n];
        batch.AsSpan().Fill(T.NaN);
        x.CopyTo(batch, n);
        var y = new T[3 * m];
        Ops.Rows<T>(op, batch, y, n, scale, KernelWidth.Vector512);
        Assert.All(y.Take(m).Concat(y.Skip(2 * m)), v => Assert.True(T.IsNaN(v)));
        return y.Skip(m).Take(m).ToArray();
    }

    private void CheckEveryCase<T>(Op op, Func<T[], T, T[]> run)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var failures = new List<string>();
        long worstNear = 0, worstFar = 0;
        foreach (ReferenceCase<T> c in ReferenceCase<T>.All)
        {
            T[] actual = run(c.X, c.Scale);
            T[] expected = c.Expected(op);
            T max = c.X.Aggregate(T.NegativeInfinity, T.MaxNumber);
            for (int i = 0; i < expected.Length; i++)
            {
                T e = expected[i], a = actual[i];
                bool near = T.Abs(e) >= T.CreateTruncating(1e-30)
                    && (op == Op.LogSumExp || c.Scale * (max - c.X[i]) <= T.CreateTruncating(20));
                bool exactClass = T.IsNaN(e) || T.IsInfinity(e) || T.IsZero(e);
                long distance = Ulp.Distance(a, e);
                if (exactClass ? !(a == e || (T.IsNaN(a) && T.IsNaN(e))) : distance > (near ? 4 : 64))
                {
                    failures.Add($"{c.Name} [{i}]: x={c.X[Math.Min(i, c.X.Length - 1)]} expected {e:R} got {a:R} ({distance} ulp)");
                }

                if (!exactClass)
                {
                    if (near)
                    {
                        worstNear = Math.Max(worstNear, distance);
                    }
                    else
                    {
                        worstFar = Math.Max(worstFar, distance);
                    }
                }
            }
        }

        output.WriteLine($"{typeof(T).Name} {op}: worst {worstNear} ulp in the 4-ulp zone, {worstFar} ulp elsewhere, over {ReferenceCase<T>.All.Count} rows");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(30)) + $"{Environment.NewLine}({failures.Count} failures)");
    }
}
