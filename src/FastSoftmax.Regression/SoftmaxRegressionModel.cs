using System;
using System.IO;
using System.Numerics.Tensors;

namespace FastSoftmax.Regression;

/// <summary>
/// A trained softmax regression: logits z = W·x + b for x standardized as at training (if it was),
/// p = softmax(z). Immutable and safe to share between threads.
/// </summary>
public sealed class SoftmaxRegressionModel
{
    private const uint Magic = 0x524D5346; // "FSMR"
    private const int FormatVersion = 1;

    private readonly float[] _weights; // [classes x features], row-major
    private readonly float[] _bias;
    private readonly float[]? _mean;
    private readonly float[]? _inverseStd;

    internal SoftmaxRegressionModel(int features, int classes, float[] weights, float[] bias, float[]? mean, float[]? inverseStd)
    {
        Features = features;
        Classes = classes;
        _weights = weights;
        _bias = bias;
        _mean = mean;
        _inverseStd = inverseStd;
    }

    /// <summary>Features per sample (d).</summary>
    public int Features { get; }

    /// <summary>Classes (C).</summary>
    public int Classes { get; }

    /// <summary>Whether features are standardized (with the training mean and standard deviation) before W is applied.</summary>
    public bool Standardizes => _mean is not null;

    /// <summary>The weights W, [classes × features] row-major, applied to standardized features if <see cref="Standardizes"/>.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The biases b, one per class.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>Writes the logits z = W·x + b of each sample (rows of <paramref name="features"/>) to <paramref name="logits"/>.</summary>
    /// <param name="features">Row-major [n × Features], finite.</param>
    /// <param name="logits">Receives [n × Classes].</param>
    /// <exception cref="ArgumentException">A length does not match, or a feature is not finite.</exception>
    public void Logits(ReadOnlySpan<float> features, Span<float> logits)
    {
        int n = CheckFeatures(features);
        if (logits.Length != n * Classes)
        {
            throw new ArgumentException($"logits.Length ({logits.Length}) must be rows × Classes ({n * Classes}).", nameof(logits));
        }

        float[]? standardized = _mean is null ? null : new float[Features];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = features.Slice(i * Features, Features);
            if (standardized is not null)
            {
                TensorPrimitives.Subtract(row, _mean, standardized);
                TensorPrimitives.Multiply(standardized, _inverseStd!, standardized);
                row = standardized;
            }

            for (int c = 0; c < Classes; c++)
            {
                logits[(i * Classes) + c] = TensorPrimitives.Dot(row, _weights.AsSpan(c * Features, Features)) + _bias[c];
            }
        }
    }

    /// <summary>Class probabilities softmax(W·x + b) for each sample, [n × Classes].</summary>
    /// <param name="features">Row-major [n × Features], finite.</param>
    /// <param name="probabilities">Receives [n × Classes].</param>
    /// <exception cref="ArgumentException">A length does not match, or a feature is not finite.</exception>
    public void PredictProbabilities(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        Logits(features, probabilities);
        Softmax.Forward(probabilities, probabilities, Classes);
    }

    /// <summary>Log-probabilities log-softmax(W·x + b) for each sample, [n × Classes].</summary>
    /// <param name="features">Row-major [n × Features], finite.</param>
    /// <param name="logProbabilities">Receives [n × Classes].</param>
    /// <exception cref="ArgumentException">A length does not match, or a feature is not finite.</exception>
    public void PredictLogProbabilities(ReadOnlySpan<float> features, Span<float> logProbabilities)
    {
        Logits(features, logProbabilities);
        LogSoftmax.Forward(logProbabilities, logProbabilities, Classes);
    }

    /// <summary>The most probable class of each sample (the first on ties).</summary>
    /// <param name="features">Row-major [n × Features], finite.</param>
    /// <param name="labels">Receives n labels.</param>
    /// <exception cref="ArgumentException">A length does not match, or a feature is not finite.</exception>
    public void Predict(ReadOnlySpan<float> features, Span<int> labels)
    {
        int n = CheckFeatures(features);
        if (labels.Length != n)
        {
            throw new ArgumentException($"labels.Length ({labels.Length}) must be the number of rows ({n}).", nameof(labels));
        }

        float[] logits = new float[n * Classes];
        Logits(features, logits);
        for (int i = 0; i < n; i++)
        {
            labels[i] = TensorPrimitives.IndexOfMax(logits.AsSpan(i * Classes, Classes));
        }
    }

    /// <summary>
    /// Writes the model: "FSMR", format version (int32), features, classes, a standardization flag
    /// (byte), W, b, then the mean and 1/std when standardized (float32, little-endian), and an FNV-1a
    /// checksum (uint64) of everything before it.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(Features);
            w.Write(Classes);
            w.Write((byte)(Standardizes ? 1 : 0));
            Write(w, _weights);
            Write(w, _bias);
            if (_mean is not null)
            {
                Write(w, _mean);
                Write(w, _inverseStd!);
            }
        }

        byte[] bytes = body.ToArray();
        stream.Write(bytes);
        stream.Write(BitConverter.GetBytes(Fnv1a(bytes)));
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <param name="stream">A readable stream positioned at the model.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">Not a model, an unknown version, truncated or corrupt (checksum mismatch).</exception>
    public static SoftmaxRegressionModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        byte[] all = copy.ToArray();
        if (all.Length < 8 + 17)
        {
            throw new InvalidDataException("Not a FastSoftmax model: too short.");
        }

        var body = new ReadOnlySpan<byte>(all, 0, all.Length - 8);
        try
        {
            using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 8));
            if (r.ReadUInt32() != Magic)
            {
                throw new InvalidDataException("Not a FastSoftmax model: bad magic number.");
            }

            int version = r.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Unsupported model format version {version} (this library reads {FormatVersion}).");
            }

            if (BitConverter.ToUInt64(all, all.Length - 8) != Fnv1a(body))
            {
                throw new InvalidDataException("The model is corrupt or truncated: checksum mismatch.");
            }

            int features = r.ReadInt32(), classes = r.ReadInt32();
            bool standardized = r.ReadByte() switch
            {
                0 => false,
                1 => true,
                _ => throw new InvalidDataException("The model is corrupt: bad standardization flag."),
            };
            long expected = 17 + (4L * ((long)features * classes + classes + (standardized ? 2L * features : 0)));
            if (features <= 0 || classes <= 0 || expected != body.Length)
            {
                throw new InvalidDataException("The model is corrupt: sizes do not match its length.");
            }

            float[] weights = Read(r, features * classes), bias = Read(r, classes);
            float[]? mean = standardized ? Read(r, features) : null, inverseStd = standardized ? Read(r, features) : null;
            return new SoftmaxRegressionModel(features, classes, weights, bias, mean, inverseStd);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The model is truncated.", e);
        }
    }

    private int CheckFeatures(ReadOnlySpan<float> features)
    {
        if (features.Length % Features != 0)
        {
            throw new ArgumentException($"features.Length ({features.Length}) is not a multiple of Features ({Features}).", nameof(features));
        }

        if (!TensorPrimitives.IsFiniteAll(features))
        {
            throw new ArgumentException("features must be finite.", nameof(features));
        }

        return features.Length / Features;
    }

    private static void Write(BinaryWriter w, float[] values)
    {
        foreach (float v in values)
        {
            w.Write(v);
        }
    }

    private static float[] Read(BinaryReader r, int count)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = r.ReadSingle();
        }

        return values;
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
