using System;
using System.Numerics;
using System.Runtime.Intrinsics;
using FastSoftmax.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace FastSoftmax.Tests;

/// <summary>The inline log the float kernels take of each row's sum, against Math.Log.</summary>
public class LogAccuracyTests(ITestOutputHelper output)
{
    [Fact]
    public void Inline_log_is_within_one_ulp_of_Math_Log()
    {
        var random = new Random(50);
        double worst = 0, worstAt = 0;
        long worstUlps = 0;
        void Check(double x)
        {
            double exact = Math.Log(x), ours = LogPositive.Compute(x);
            worstUlps = Math.Max(worstUlps, Ulp.Distance(ours, exact));
            // Relative to the result, or absolute where the result crosses 0 (x = 1 gives exactly 0).
            double error = Math.Abs(ours - exact) / Math.Max(Math.Abs(exact), double.Epsilon);
            if (exact == 0)
            {
                error = Math.Abs(ours);
            }

            if (error > worst)
            {
                (worst, worstAt) = (error, x);
            }
        }

        for (int i = 0; i < 1_000_000; i++)
        {
            Check(Math.Exp(random.NextDouble() * 40));           // the sums a row can have: 1 to 2^57
            Check(1 + (random.NextDouble() * Math.Pow(2, -random.Next(53)))); // just above 1: log1p territory
            Check(random.NextDouble() + 1e-300);                 // below 1 too
        }

        for (int k = -1000; k <= 1000; k++)
        {
            double p = Math.ScaleB(1, k);
            Check(p);
            Check(Math.BitIncrement(p));
            Check(Math.BitDecrement(p));
            Check(p * Math.Sqrt(2));                             // the switch between m and m/2
            Check(Math.BitIncrement(p * Math.Sqrt(2)));
            Check(Math.BitDecrement(p * Math.Sqrt(2)));
        }

        Check(1);
        Check(Math.BitIncrement(1.0));
        Check(double.MaxValue);
        output.WriteLine($"inline log: worst relative error {worst:E3} (2^{Math.Log2(worst):F1}) at x = {worstAt:R}, {worstUlps} ulp from Math.Log");
        Assert.True(worst <= Math.Pow(2, -52), $"worst {worst:E3} at {worstAt:R}");
        Assert.True(worstUlps <= 1, $"{worstUlps} ulp from Math.Log");
    }

    [Fact]
    public void Each_lane_of_the_vector_log_has_the_bits_of_that_value_alone()
    {
        var random = new Random(51);
        double[] lanes = new double[Vector512<double>.Count];
        for (int i = 0; i < 10_000; i++)
        {
            for (int l = 0; l < lanes.Length; l++)
            {
                lanes[l] = Math.Exp((random.NextDouble() * 80) - 40);
            }

            Vector<double> logs = LogPositive.Compute(new Vector<double>(lanes));
            Vector512<double> logs512 = LogPositive.Compute(Vector512.Create(lanes));
            for (int l = 0; l < lanes.Length; l++)
            {
                long alone = BitConverter.DoubleToInt64Bits(LogPositive.Compute(lanes[l]));
                Assert.Equal(alone, BitConverter.DoubleToInt64Bits(logs512[l]));
                if (l < Vector<double>.Count)
                {
                    Assert.Equal(alone, BitConverter.DoubleToInt64Bits(logs[l]));
                }
            }
        }
    }
}
