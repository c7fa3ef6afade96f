using System;
using System.Numerics;
using FastSoftmax.Kernels;

namespace FastSoftmax.Tests;

/// <summary>One cross-entropy call with every option, for any T and width, through the internal entry.</summary>
internal sealed record CrossEntropyCall<T>(
    T[] Logits, int Classes, int[]? Labels = null, T[]? Targets = null, T[]? Weights = null,
    int IgnoreIndex = CrossEntropy.DefaultIgnoreIndex, double Smoothing = 0, Reduction Reduction = Reduction.Mean)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Rows => Logits.Length / Classes;

    /// <summary>The reduced loss and gradient; with perRow, the per-row losses and the gradient of their sum.</summary>
    public (T Loss, T[] Losses, T[] Gradient) Run(KernelWidth width = KernelWidth.Vector512, bool perRow = false, T[]? gradientBuffer = null)
    {
        T[] gradient = gradientBuffer ?? new T[Logits.Length];
        T[] losses = perRow ? new T[Rows] : [];
        T loss = EntryCrossEntropy.Run<T>(
            Logits, Labels ?? [], Targets ?? [], Targets != null, losses, perRow, gradient, true, Classes,
            perRow ? Reduction.Sum : Reduction, Weights ?? [], IgnoreIndex, T.CreateTruncating(Smoothing), width);
        return (loss, losses, gradient);
    }

    /// <summary>The reduced loss alone (no gradient), in double, for finite differences.</summary>
    public T LossOnly() => EntryCrossEntropy.Run<T>(
        Logits, Labels ?? [], Targets ?? [], Targets != null, default, false, default, false, Classes,
        Reduction, Weights ?? [], IgnoreIndex, T.CreateTruncating(Smoothing));

    public CrossEntropyCall<T> WithLogits(T[] logits) => this with { Logits = logits };
}
