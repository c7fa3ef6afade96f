using System;
using System.Numerics.Tensors;

namespace FastSoftmax.Benchmarks;

/// <summary>What a .NET user writes today, to compare against in the same run.</summary>
public static class Peers
{
    /// <summary>TensorPrimitives.SoftMax on each row of a [rows x classes] batch in turn.</summary>
    public static void TensorPrimitivesSoftMaxPerRow(float[] x, float[] y, int classes)
    {
        for (int r = 0; r < x.Length; r += classes)
        {
            TensorPrimitives.SoftMax(x.AsSpan(r, classes), y.AsSpan(r, classes));
        }
    }

    /// <summary>
    /// Not a softmax: y = 2x on each row with TensorPrimitives.Multiply, the memory traffic a batch
    /// kernel cannot go below (x read once, each destination line read for ownership and written back
    /// once). Rows under TensorPrimitives' 256 KB non-temporal threshold take plain stores, as the
    /// kernels' do; longer rows (128,256 floats) take streaming stores, which skip the read.
    /// </summary>
    public static void ScaleRows(ReadOnlySpan<float> x, Span<float> y, int classes)
    {
        for (int r = 0; r < x.Length; r += classes)
        {
            TensorPrimitives.Multiply(x.Slice(r, classes), 2f, y.Slice(r, classes));
        }
    }

    /// <summary>The stable softmax composed from TensorPrimitives: five passes over the data.</summary>
    public static void ComposedSoftmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, destination);
        TensorPrimitives.Exp(destination, destination);
        float sum = TensorPrimitives.Sum(destination);
        TensorPrimitives.Divide(destination, sum, destination);
    }

    /// <summary>The stable log-softmax composed from TensorPrimitives.</summary>
    public static void ComposedLogSoftmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, destination);
        TensorPrimitives.Exp(destination, destination);
        float logSum = MathF.Log(TensorPrimitives.Sum(destination));
        TensorPrimitives.Subtract(x, max + logSum, destination);
    }

    /// <summary>The textbook scalar loop: max, exp and sum, scale.</summary>
    public static void ScalarSoftmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        float max = float.NegativeInfinity;
        foreach (float v in x)
        {
            max = MathF.Max(max, v);
        }

        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += destination[i] = MathF.Exp(x[i] - max);
        }

        float inverse = 1 / sum;
        for (int i = 0; i < x.Length; i++)
        {
            destination[i] *= inverse;
        }
    }
}
