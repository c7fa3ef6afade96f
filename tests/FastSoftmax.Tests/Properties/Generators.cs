using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace FastSoftmax.Tests;

/// <summary>A row of logits, 1 to 300 long, at magnitudes from 1 to 1e30.</summary>
public sealed record Logits(double[] Values)
{
    public float[] AsSingle() => Values.Select(v => (float)v).ToArray();

    public override string ToString() => $"[{string.Join(", ", Values.Select(v => v.ToString("R")))}]";
}

/// <summary>Logits on a 2^-8 grid within ±2^11, and an integer shift in ±2^10: x + shift is exact in float.</summary>
public sealed record ShiftedLogits(double[] Values, double Shift)
{
    public override string ToString() => $"shift {Shift} of [{string.Join(", ", Values)}]";
}

/// <summary>A batch: 1 to 6 rows of 1 to 70 logits each.</summary>
public sealed record Batch(double[] Values, int RowLength)
{
    public override string ToString() => $"rowLength {RowLength}: [{string.Join(", ", Values)}]";
}

public static class Generators
{
    private static Gen<double[]> Row(int length) =>
        from magnitude in Gen.Elements(1.0, 10.0, 100.0, 1e4, 1e30)
        from raw in Gen.ArrayOf(Gen.Choose(-1_000_000, 1_000_000), length)
        select raw.Select(v => v / 1e6 * magnitude).ToArray();

    public static Arbitrary<Logits> Logits() =>
        (from n in Gen.Choose(1, 300)
         from values in Row(n)
         select new Logits(values)).ToArbitrary();

    public static Arbitrary<ShiftedLogits> ShiftedLogits() =>
        (from n in Gen.Choose(1, 300)
         from raw in Gen.ArrayOf(Gen.Choose(-(1 << 19), 1 << 19), n)
         from shift in Gen.Choose(-1024, 1024)
         select new ShiftedLogits(raw.Select(v => v / 256.0).ToArray(), shift)).ToArbitrary();

    public static Arbitrary<Batch> Batch() =>
        (from rowLength in Gen.Choose(1, 70)
         from rows in Gen.Choose(1, 6)
         from values in Row(rowLength * rows)
         select new Batch(values, rowLength)).ToArbitrary();
}
