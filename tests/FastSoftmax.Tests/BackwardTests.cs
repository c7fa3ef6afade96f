using System;
using System.Linq;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>The backward passes against finite differences of the forward ones, on every width.</summary>
public class BackwardTests
{
    public static TheoryData<int, int> WidthsAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (KernelWidth w in Dispatch.Supported)
        {
            foreach (int n in new[] { 1, 3, 10, 17, 64, 129 })
            {
                data.Add((int)w, n);
            }
        }

        return data;
    }

    // d/dx_i of ⟨dy, f(x)⟩ by central differences in double (h = 1e-6: error ~1e-10), vs the analytic dx.
    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void Softmax_backward_matches_finite_differences(int width, int n) =>
        CheckAgainstFiniteDifferences(n, (x, y) => Ops.Rows<double>(Op.Softmax, x, y, n, 1.0, (KernelWidth)width), SoftmaxBackward, width);

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void Log_softmax_backward_matches_finite_differences(int width, int n) =>
        CheckAgainstFiniteDifferences(n, (x, y) => Ops.Rows<double>(Op.LogSoftmax, x, y, n, 1.0, (KernelWidth)width), LogSoftmaxBackward, width);

    [Fact]
    public void Backward_works_in_place_and_batched_equals_row_by_row()
    {
        var random = new Random(3);
        float[] y = new float[4 * 33], dy = Enumerable.Range(0, 4 * 33).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        Softmax.Forward(Enumerable.Range(0, y.Length).Select(_ => (float)random.NextDouble() * 4).ToArray(), y, 33);
        float[] dx = new float[y.Length];
        Softmax.Backward(y, dy, dx, 33);
        for (int r = 0; r < 4; r++)
        {
            float[] row = new float[33];
            Softmax.Backward(y.AsSpan(r * 33, 33), dy.AsSpan(r * 33, 33), row);
            Assert.Equal(row, dx.AsSpan(r * 33, 33).ToArray());
        }

        float[] inPlace = (float[])dy.Clone();
        Softmax.Backward(y, inPlace, inPlace, 33);
        Assert.Equal(dx, inPlace);
        Assert.All(Enumerable.Range(0, 4), r => Assert.True(Math.Abs(dx.Skip(r * 33).Take(33).Sum()) < 1e-6f));
    }

    [Fact]
    public void Bad_arguments_throw_before_writing()
    {
        float[] dx = Enumerable.Repeat(5f, 8).ToArray();
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Softmax.Backward(new float[8], new float[7], dx)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward(new float[8], new float[8], dx.AsSpan(1))).ParamName);
        Assert.Equal("rowLength", Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Backward(new float[8], new float[8], dx, 0)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Softmax.Backward(new float[8], new float[8], dx, 3)).ParamName);
        float[] notLogProbabilities = [-1, -2, 0.5f, -3, -1, -1, -1, -1];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward(notLogProbabilities, new float[8], dx, 4)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Softmax.Backward(dx.AsSpan(0, 4), dx.AsSpan(0, 4), dx.AsSpan(2, 4))).ParamName);
        Assert.All(dx, v => Assert.Equal(5f, v));
    }

    private static void SoftmaxBackward(double[] y, double[] dy, double[] dx, int n, int width) =>
        EntryCrossEntropy.Backward<SoftmaxBackward<double>, double>(y, dy, dx, n, (KernelWidth)width);

    private static void LogSoftmaxBackward(double[] y, double[] dy, double[] dx, int n, int width) =>
        EntryCrossEntropy.Backward<LogSoftmaxBackward<double>, double>(y, dy, dx, n, (KernelWidth)width);

    private static void CheckAgainstFiniteDifferences(int n, Action<double[], double[]> forward, Action<double[], double[], double[], int, int> backward, int width)
    {
        var random = new Random(n);
        double[] x = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 6) - 3).ToArray();
        double[] dy = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] y = new double[n], dx = new double[n];
        forward(x, y);
        backward(y, dy, dx, n, width);
        double Objective(double[] at)
        {
            double[] value = new double[n];
            forward(at, value);
            return value.Zip(dy, (v, d) => v * d).Sum();
        }

        const double h = 1e-6;
        for (int i = 0; i < n; i++)
        {
            double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Objective(plus) - Objective(minus)) / (2 * h);
            Assert.True(Math.Abs(numeric - dx[i]) < 1e-8, $"n={n} [{i}]: analytic {dx[i]:R}, numeric {numeric:R}");
        }
    }
}
