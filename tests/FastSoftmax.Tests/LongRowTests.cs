using System;
using System.Collections.Generic;
using System.Linq;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// Float rows long enough for the blocked sweeps (<see cref="BlockedSoftmax"/>), through the public
/// API, against the double path rounded to float (which never takes them): within 4 ulp where the
/// output is at least 1e-30 in magnitude, 64 elsewhere, NaN, infinities and zeros (and softmax's
/// ones) exactly where the double path has them; softmax and log-softmax also in place.
/// </summary>
public class LongRowTests
{
    private const int N = BlockedSoftmax.MinLength + 123;

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void Blocked_rows_match_the_double_path_in_and_out_of_place(Op op) =>
        CheckBothWays(op, Logits(seed: 1));

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void A_block_far_below_the_max_keeps_its_tiny_outputs(Op op) // its softmax factor is below float's normal range
    {
        float[] x = Logits(seed: 2);
        // The row max is near 10 and log Σ near 9: this block's factor is about e^-89, its outputs e^-95.
        x.AsSpan(3 * BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(-76f);
        x[3 * BlockedSoftmax.BlockLength] = -70f;
        float[] y = CheckBothWays(op, x);
        if (op == Op.Softmax)
        {
            Assert.True(y[(3 * BlockedSoftmax.BlockLength) + 1] is > 0 and < 1e-38f);
        }
    }

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void A_fully_masked_block_gives_zero_probabilities_and_a_larger_max_later_rescales_the_sum(Op op)
    {
        float[] x = Logits(seed: 3);
        x.AsSpan(BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(float.NegativeInfinity);
        x[N - 5] = 40f;
        float[] y = CheckBothWays(op, x);
        if (op != Op.LogSumExp)
        {
            float masked = op == Op.Softmax ? 0f : float.NegativeInfinity;
            Assert.All(y.Skip(BlockedSoftmax.BlockLength).Take(BlockedSoftmax.BlockLength), v => Assert.Equal(masked, v));
        }
    }

    /// <summary>
    /// A row its max dominates (the rest 30 below it): log Σ ≈ 1e-8 must keep its relative accuracy
    /// through the blocks before the max's (their sums rescaled by e^-30) and the max's own block.
    /// </summary>
    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void A_row_its_max_dominates_keeps_the_relative_accuracy_of_its_tiny_log_sum(Op op)
    {
        int n = 128_256;
        var random = new Random(6);
        float[] x = Enumerable.Range(0, n).Select(_ => (float)(-30 - random.NextDouble())).ToArray();
        x[(5 * BlockedSoftmax.BlockLength) + 11] = 0f;
        float[] y = CheckBothWays(op, x);
        if (op != Op.Softmax)
        {
            float atMax = op == Op.LogSumExp ? y[0] : -y[(5 * BlockedSoftmax.BlockLength) + 11];
            Assert.InRange(atMax, 1e-9f, 1e-7f);
        }
    }

    public static IEnumerable<object[]> OpsAndSpecialValues =>
        from op in Enum.GetValues<Op>()
        from special in new[] { (float.NaN, 0), (float.NaN, N - 1), (float.PositiveInfinity, N - 1), (float.PositiveInfinity, 7) }
        select new object[] { op, special.Item1, special.Item2 };

    [Theory]
    [MemberData(nameof(OpsAndSpecialValues))]
    public void A_special_value_in_any_block_gives_the_special_row_also_in_place(Op op, float special, int at)
    {
        float[] x = Logits(seed: 4);
        x[at] = special;
        CheckBothWays(op, x);
    }

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void A_nan_in_a_fully_masked_block_still_makes_every_output_nan(Op op)
    {
        float[] x = Logits(seed: 5);
        x.AsSpan(2 * BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(float.NegativeInfinity);
        x[(2 * BlockedSoftmax.BlockLength) + 9] = float.NaN;
        Assert.All(CheckBothWays(op, x), v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [MemberData(nameof(Ops.All), MemberType = typeof(Ops))]
    public void A_fully_masked_long_row_is_the_fully_masked_special_row(Op op) =>
        CheckBothWays(op, Enumerable.Repeat(float.NegativeInfinity, N).ToArray());

    public static TheoryData<int> Widths => new(Dispatch.Supported.Select(w => (int)w));

    /// <summary>
    /// Rows beyond the caches write their sum pass with streaming stores, from register-aligned
    /// addresses on, each register joined from two of the terms: the same bits as the plain stores at
    /// every offset of the destination within a register, in and out of place, and off float's own
    /// alignment (plain stores then), on every width.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Streaming_stores_write_the_bits_of_plain_ones_at_every_destination_offset(int width)
    {
        const int n = (3 * BlockedSoftmax.BlockLength) + 77;
        float[] x = Logits(seed: 8, n);
        float[] plain = new float[n];
        RunBlocked((KernelWidth)width, x, plain, minStreamingLength: nuint.MaxValue);
        for (int offset = 0; offset < 16; offset++)
        {
            float[] buffer = new float[n + 16];
            RunBlocked((KernelWidth)width, x, buffer.AsSpan(offset, n), minStreamingLength: 0);
            Assert.Equal(Ulp.Bits(plain), Ulp.Bits(buffer.AsSpan(offset, n)));
            x.CopyTo(buffer.AsSpan(offset));
            RunBlocked((KernelWidth)width, buffer.AsSpan(offset, n), buffer.AsSpan(offset, n), minStreamingLength: 0);
            Assert.Equal(Ulp.Bits(plain), Ulp.Bits(buffer.AsSpan(offset, n)));
        }

        byte[] bytes = new byte[(n * sizeof(float)) + 1];
        Span<float> misaligned = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(1));
        RunBlocked((KernelWidth)width, x, misaligned, minStreamingLength: 0);
        Assert.Equal(Ulp.Bits(plain), Ulp.Bits(misaligned));
    }

    [Fact]
    public void A_row_beyond_the_caches_streams_through_the_public_api_with_the_bits_of_plain_stores()
    {
        float[] x = Logits(seed: 9, BlockedSoftmax.MinStreamingLength + 123);
        float[] y = new float[x.Length + 5];
        Softmax.Forward(x, y.AsSpan(3, x.Length));
        float[] plain = new float[x.Length];
        RunBlocked(Dispatch.Choose<float>(x.Length), x, plain, minStreamingLength: nuint.MaxValue);
        Assert.Equal(Ulp.Bits(plain), Ulp.Bits(y.AsSpan(3, x.Length)));
        Assert.InRange(plain.Sum(v => (double)v), 1 - 1e-5, 1 + 1e-5);
    }

    private static void RunBlocked(KernelWidth width, ReadOnlySpan<float> x, Span<float> destination, nuint minStreamingLength) =>
        Ops.Blocked(Op.Softmax, width, x, destination, 1f, BlockedSoftmax.BlockLength, minStreamingLength);

    private static float[] Logits(int seed, int n = N)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 30 - 20)).ToArray();
    }

    /// <summary>Checks out of place and in place (bitwise equal to each other, <see cref="Ulp.Bits(ReadOnlySpan{float})"/>; log-sum-exp has no destination to share); returns the outputs.</summary>
    private static float[] CheckBothWays(Op op, float[] x)
    {
        float[] y = Ops.Public(op, x, 1f);
        if (op != Op.LogSumExp)
        {
            float[] inPlace = (float[])x.Clone();
            if (op == Op.Softmax)
            {
                Softmax.Forward(inPlace, inPlace);
            }
            else
            {
                LogSoftmax.Forward(inPlace, inPlace);
            }

            Assert.Equal(Ulp.Bits(y), Ulp.Bits(inPlace));
        }

        double[] reference = Ops.Public(op, x.Select(v => (double)v).ToArray(), 1.0);
        for (int i = 0; i < y.Length; i++)
        {
            float e = (float)reference[i], a = y[i];
            if (float.IsNaN(e) || float.IsInfinity(e) || e == 0 || (op == Op.Softmax && e == 1))
            {
                Assert.True(a.Equals(e), $"{op} [{i}] expected {e:R} got {a:R}");
            }
            else
            {
                Assert.True(Ulp.Distance(a, e) <= (Math.Abs(e) >= 1e-30f ? 4 : 64), $"{op} [{i}] expected {e:R} got {a:R}");
            }
        }

        return y;
    }
}
