using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace FastSoftmax.Cli;

/// <summary>A labelled data set split by the project's rule: test = rows whose 0-based index % 5 == 4.</summary>
internal sealed record DataSet(string Name, int Features, int Classes, float[] TrainX, int[] TrainY, float[] TestX, int[] TestY)
{
    /// <summary>UCI digits: 64 features (0..16, scaled by 1/16), then the label.</summary>
    public static DataSet Digits(string path) => Load("digits", path, 64, labelFirst: false, scale: 1f / 16);

    /// <summary>MNIST 10k: the label, then 784 grey levels in [0, 1] used as stored.</summary>
    public static DataSet Mnist(string path) => Load("mnist", path, 784, labelFirst: true, scale: 1f);

    /// <summary>The preprocessing a data set's features get (digits: /16), for predicting on raw rows.</summary>
    public static float ScaleFor(int features) => features == 64 ? 1f / 16 : 1f;

    private static DataSet Load(string name, string path, int features, bool labelFirst, float scale)
    {
        var trainX = new List<float>();
        var testX = new List<float>();
        var trainY = new List<int>();
        var testY = new List<int>();
        int index = 0;
        foreach (string line in ReadLines(path))
        {
            string[] fields = line.Split(',');
            if (fields.Length != features + 1)
            {
                throw new InvalidDataException($"{path}, line {index + 1}: expected {features + 1} fields, found {fields.Length}.");
            }

            bool test = index % 5 == 4;
            int label = Parse<int>(fields[labelFirst ? 0 : features], path, index);
            if (label is < 0 or > 9)
            {
                throw new InvalidDataException($"{path}, line {index + 1}: label {label} is not a digit.");
            }

            (test ? testY : trainY).Add(label);
            List<float> x = test ? testX : trainX;
            for (int j = 0; j < features; j++)
            {
                x.Add(Parse<float>(fields[labelFirst ? j + 1 : j], path, index) * scale);
            }

            index++;
        }

        if (index < 5)
        {
            throw new InvalidDataException($"{path}: {index} rows; at least 5 are needed for the split.");
        }

        return new DataSet(name, features, 10, trainX.ToArray(), trainY.ToArray(), testX.ToArray(), testY.ToArray());
    }

    /// <summary>Rows of comma-separated features, for --predict.</summary>
    public static float[] ReadFeatures(string path, int features)
    {
        var x = new List<float>();
        int index = 0;
        foreach (string line in ReadLines(path))
        {
            string[] fields = line.Split(',');
            if (fields.Length != features)
            {
                throw new InvalidDataException($"{path}, line {index + 1}: expected {features} features, found {fields.Length}.");
            }

            foreach (string f in fields)
            {
                x.Add(Parse<float>(f, path, index) * ScaleFor(features));
            }

            index++;
        }

        return x.ToArray();
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no such file: {path}");
        }

        using Stream file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    private static T Parse<T>(string text, string path, int index)
        where T : IParsable<T> =>
        T.TryParse(text, CultureInfo.InvariantCulture, out T? value) && value is not null
            ? value
            : throw new InvalidDataException($"{path}, line {index + 1}: '{text}' is not a number.");
}
