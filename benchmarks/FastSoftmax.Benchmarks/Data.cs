using System;

namespace FastSoftmax.Benchmarks;

internal static class Data
{
    /// <summary>"ROWSxCLASSES" as numbers.</summary>
    public static (int Rows, int Classes) Shape(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Logits in [-8, 8): a spread like real classifier outputs, small enough for TensorPrimitives.SoftMax not to overflow.</summary>
    public static float[] Logits(int length, int seed = 42)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 16) - 8);
        }

        return x;
    }

    /// <summary>Labels drawn uniformly from [0, classes), one a row.</summary>
    public static int[] Labels(int rows, int classes, int seed = 5)
    {
        var random = new Random(seed);
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = random.Next(classes);
        }

        return labels;
    }
}
