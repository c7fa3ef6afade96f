using System;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>Bad arguments throw an exception naming the parameter, before anything is written.</summary>
public class BadInputTests
{
    private const float Sentinel = 12345f;

    private delegate void Call(float[] x, float[] destination);

    [Theory]
    [InlineData(0, "rowLength")]
    [InlineData(-3, "rowLength")]
    [InlineData(5, "x")]
    public void Bad_row_length_throws_naming_the_parameter(int rowLength, string parameter)
    {
        AssertThrowsWithoutWriting(parameter, (x, d) => Softmax.Forward(x, d, rowLength), 12, 12);
        AssertThrowsWithoutWriting(parameter, (x, d) => LogSoftmax.Forward(x, d, rowLength), 12, 12);
        AssertThrowsWithoutWriting(parameter, (x, d) => LogSumExp.Compute(x, d, rowLength), 12, 3);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Scale_that_is_not_finite_and_positive_throws(float scale)
    {
        AssertThrowsWithoutWriting("scale", (x, d) => Softmax.Forward(x, d, 4, scale), 12, 12);
        AssertThrowsWithoutWriting("scale", (x, d) => LogSoftmax.Forward(x, d, 4, scale), 12, 12);
        AssertThrowsWithoutWriting("scale", (x, d) => LogSumExp.Compute(x, d, 4, scale), 12, 3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void Degree_of_parallelism_other_than_minus_one_or_positive_throws(int threads)
    {
        AssertThrowsWithoutWriting("maxDegreeOfParallelism", (x, d) => Softmax.Forward(x, d, 4, maxDegreeOfParallelism: threads), 12, 12);
        AssertThrowsWithoutWriting("maxDegreeOfParallelism", (x, d) => LogSoftmax.Forward(x, d, 4, maxDegreeOfParallelism: threads), 12, 12);
        AssertThrowsWithoutWriting("maxDegreeOfParallelism", (x, d) => LogSumExp.Compute(x, d, 4, maxDegreeOfParallelism: threads), 12, 3);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(0)]
    public void Destination_of_the_wrong_length_throws(int length)
    {
        AssertThrowsWithoutWriting("destination", (x, d) => Softmax.Forward(x, d), 12, length);
        AssertThrowsWithoutWriting("destination", (x, d) => LogSoftmax.Forward(x, d), 12, length);
        AssertThrowsWithoutWriting("destination", (x, d) => Softmax.Forward(x, d, 4), 12, length);
        AssertThrowsWithoutWriting("destination", (x, d) => LogSumExp.Compute(x, d, 4), 12, length == 0 ? 2 : length);
    }

    [Fact]
    public void Partial_overlap_throws_and_exact_aliasing_does_not()
    {
        float[] buffer = new float[20];
        Array.Fill(buffer, Sentinel);
        var e = Assert.Throws<ArgumentException>(() => Softmax.Forward(buffer.AsSpan(0, 16), buffer.AsSpan(2, 16)));
        Assert.Equal("destination", e.ParamName);
        Assert.All(buffer, v => Assert.Equal(Sentinel, v));

        e = Assert.Throws<ArgumentException>(() => LogSumExp.Compute(buffer.AsSpan(0, 16), buffer.AsSpan(0, 4), 4));
        Assert.Equal("destination", e.ParamName);
        Assert.All(buffer, v => Assert.Equal(Sentinel, v));

        LogSoftmax.Forward(buffer.AsSpan(0, 16), buffer.AsSpan(0, 16), 8);
        Assert.Equal(-MathF.Log(8), buffer[0], 6);
    }

    [Fact]
    public void Single_vector_calls_throw_on_every_partial_overlap_and_allow_neighbours()
    {
        foreach (int length in new[] { 3, 10, 16, 40 })
        {
            for (int shift = -length; shift <= length; shift++)
            {
                float[] buffer = new float[3 * length];
                double[] doubles = new double[3 * length];
                Array.Fill(buffer, Sentinel);
                Array.Fill(doubles, Sentinel);
                int start = length, to = length + shift;
                if (shift == 0 || Math.Abs(shift) == length)
                {
                    Softmax.Forward(buffer.AsSpan(start, length), buffer.AsSpan(to, length)); // in place, or side by side
                    LogSoftmax.Forward(doubles.AsSpan(start, length), doubles.AsSpan(to, length));
                    continue;
                }

                Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Softmax.Forward(buffer.AsSpan(start, length), buffer.AsSpan(to, length))).ParamName);
                Assert.Equal("destination", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward(buffer.AsSpan(start, length), buffer.AsSpan(to, length))).ParamName);
                Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Softmax.Forward(doubles.AsSpan(start, length), doubles.AsSpan(to, length))).ParamName);
                Assert.Equal("destination", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward(doubles.AsSpan(start, length), doubles.AsSpan(to, length))).ParamName);
                Assert.All(buffer, v => Assert.Equal(Sentinel, v));
                Assert.All(doubles, v => Assert.Equal(Sentinel, v));
            }
        }
    }

    [Fact]
    public void Double_overloads_validate_the_same_way()
    {
        double[] x = new double[12], d = new double[12];
        Assert.Equal("rowLength", Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Forward(x, d, 0)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward(x, d, 5)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => LogSumExp.Compute(x, new double[3], 4, -2)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Softmax.Forward(x, new double[11])).ParamName);
    }

    private static void AssertThrowsWithoutWriting(string parameter, Call call, int xLength, int destinationLength)
    {
        float[] x = new float[xLength];
        float[] destination = new float[destinationLength];
        Array.Fill(destination, Sentinel);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => call(x, destination));
        Assert.Equal(parameter, e.ParamName);
        Assert.All(destination, v => Assert.Equal(Sentinel, v));
    }
}
