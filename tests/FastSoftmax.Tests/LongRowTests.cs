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

    private static float[] Logits(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, N).Select(_ => (float)(random.NextDouble() * 30 - 20)).ToArray();
    }

    /// <summary>Checks out of place and in place (bitwise equal to each other); returns the outputs.</summary>
    private static float[] CheckBothWays(float[] x)
    {
        double[] reference = new double[N];
        Softmax.Forward(x.Select(v => (double)v).ToArray(), reference);
        float[] y = new float[N];
        Softmax.Forward(x, y);
        float[] inPlace = (float[])x.Clone();
        Softmax.Forward(inPlace, inPlace);
        Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
        for (int i = 0; i < N; i++)
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

        return y;
    }
}
