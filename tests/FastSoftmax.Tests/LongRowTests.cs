using System;
using System.Linq;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// Float rows long enough for the blocked sweeps (<see cref="BlockedSoftmax"/>), through the public
/// API, against the double path rounded to float (which never takes them): within 4 ulp where the
/// output is at least 1e-30, 64 elsewhere, NaN, zeros and ones exactly where the double path has them.
/// </summary>
public class LongRowTests
{
    private const int N = BlockedSoftmax.MinLength + 123;

    [Fact]
    public void Blocked_rows_match_the_double_path_in_and_out_of_place() =>
        CheckBothWays(Logits(seed: 1));

    [Fact]
    public void A_block_far_below_the_max_keeps_its_subnormal_outputs() // its factor is below float's normal range
    {
        float[] x = Logits(seed: 2);
        // The row max is near 10 and log Σ near 9: this block's factor is about e^-89, its outputs e^-95.
        x.AsSpan(3 * BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(-76f);
        x[3 * BlockedSoftmax.BlockLength] = -70f;
        float[] y = CheckBothWays(x);
        Assert.True(y[(3 * BlockedSoftmax.BlockLength) + 1] is > 0 and < 1e-38f);
    }

    [Fact]
    public void A_fully_masked_block_gives_zeros_and_a_larger_max_later_rescales_the_sum()
    {
        float[] x = Logits(seed: 3);
        x.AsSpan(BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(float.NegativeInfinity);
        x[N - 5] = 40f;
        float[] y = CheckBothWays(x);
        Assert.All(y.Skip(BlockedSoftmax.BlockLength).Take(BlockedSoftmax.BlockLength), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.NaN, N - 1)]
    [InlineData(float.PositiveInfinity, N - 1)]
    [InlineData(float.PositiveInfinity, 7)]
    public void A_special_value_in_any_block_gives_the_special_row_also_in_place(float special, int at)
    {
        float[] x = Logits(seed: 4);
        x[at] = special;
        CheckBothWays(x);
    }

    [Fact]
    public void A_nan_in_a_fully_masked_block_still_makes_every_output_nan()
    {
        float[] x = Logits(seed: 5);
        x.AsSpan(2 * BlockedSoftmax.BlockLength, BlockedSoftmax.BlockLength).Fill(float.NegativeInfinity);
        x[(2 * BlockedSoftmax.BlockLength) + 9] = float.NaN;
        Assert.All(CheckBothWays(x), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void A_fully_masked_long_row_is_the_fully_masked_special_row() =>
        CheckBothWays(Enumerable.Repeat(float.NegativeInfinity, N).ToArray());

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
        Ops.Blocked(width, x, destination, 1f, BlockedSoftmax.BlockLength, minStreamingLength);

    private static float[] Logits(int seed, int n = N)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 30 - 20)).ToArray();
    }

    /// <summary>Checks out of place and in place (bitwise equal to each other); returns the outputs.</summary>
    private static float[] CheckBothWays(float[] x)
    {
        float[] y = new float[x.Length];
        Softmax.Forward(x, y);
        float[] inPlace = (float[])x.Clone();
        Softmax.Forward(inPlace, inPlace);
        Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
        Check(x, y);
        return y;
    }

    private static void Check(float[] x, float[] y)
    {
        double[] reference = new double[x.Length];
        Softmax.Forward(x.Select(v => (double)v).ToArray(), reference);
        for (int i = 0; i < x.Length; i++)
        {
            float e = (float)reference[i], a = y[i];
            if (float.IsNaN(e) || e == 0 || e == 1)
            {
                Assert.True(a.Equals(e), $"[{i}] expected {e:R} got {a:R}");
            }
            else
            {
                Assert.True(Ulp.Distance(a, e) <= (e >= 1e-30f ? 4 : 64), $"[{i}] expected {e:R} got {a:R}");
            }
        }
    }
}
