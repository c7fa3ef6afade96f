using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;

namespace FastSoftmax.Tests;

/// <summary>One row of reference.jsonl (made by generate_reference.py with mpmath), decoded to T.</summary>
public sealed record ReferenceCase<T>(string Name, T Scale, T[] X, T[] Softmax, T[] LogSoftmax, T LogSumExp)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public static IReadOnlyList<ReferenceCase<T>> All { get; } = Load();

    public T[] Expected(Op op) => op switch
    {
        Op.Softmax => Softmax,
        Op.LogSoftmax => LogSoftmax,
        _ => [LogSumExp],
    };

    private static List<ReferenceCase<T>> Load()
    {
        string type = typeof(T) == typeof(float) ? "f" : "d";
        var cases = new List<ReferenceCase<T>>();
        foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Reference", "reference.jsonl")))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement e = doc.RootElement;
            if (e.GetProperty("type").GetString() != type)
            {
                continue;
            }

            cases.Add(new ReferenceCase<T>(
                e.GetProperty("name").GetString()!,
                Decode(e.GetProperty("scale").GetString()!),
                Array(e, "x"),
                Array(e, "softmax"),
                Array(e, "logsoftmax"),
                Decode(e.GetProperty("lse").GetString()!)));
        }

        return cases.Count > 0 ? cases : throw new InvalidDataException($"reference.jsonl has no '{type}' cases");
    }

    private static T[] Array(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(v => Decode(v.GetString()!)).ToArray();

    internal static T Decode(string hex) => typeof(T) == typeof(float)
        ? T.CreateTruncating(BitConverter.Int32BitsToSingle(unchecked((int)uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture))))
        : T.CreateTruncating(BitConverter.Int64BitsToDouble(unchecked((long)ulong.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
}
