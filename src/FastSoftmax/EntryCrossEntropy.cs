using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastSoftmax.Kernels;

namespace FastSoftmax;

/// <summary>Validation of the cross-entropy and backward entry points, before anything is written.</summary>
internal static class EntryCrossEntropy
{
    /// <summary>Validates, then runs the fused kernel; returns the reduced loss (NaN-free for finite logits).</summary>
    public static unsafe T Run<T>(
        ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> targets, bool soft,
        Span<T> losses, bool perRow, Span<T> gradient, bool withGradient,
        int classes, Reduction reduction, ReadOnlySpan<T> classWeights, int ignoreIndex, T labelSmoothing,
        KernelWidth limit = KernelWidth.Vector512)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (reduction is not (Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be Mean or Sum; per-row losses come from the overloads with a losses span.");
        }

        if (logits.Length % classes != 0)
        {
            throw new ArgumentException($"logits.Length ({logits.Length}) is not a multiple of classes ({classes}).", nameof(logits));
        }

        int rows = logits.Length / classes;
        if (soft && targets.Length != logits.Length)
        {
            throw new ArgumentException($"targets.Length ({targets.Length}) must equal logits.Length ({logits.Length}).", nameof(targets));
        }

        if (!soft && labels.Length != rows)
        {
            throw new ArgumentException($"labels.Length ({labels.Length}) must be the number of rows ({rows}).", nameof(labels));
        }

        if (!classWeights.IsEmpty && classWeights.Length != classes)
        {
            throw new ArgumentException($"classWeights.Length ({classWeights.Length}) must be classes ({classes}).", nameof(classWeights));
        }

        double weightTotal = classWeights.IsEmpty ? classes : 0;
        foreach (T w in classWeights)
        {
            if (!T.IsFinite(w) || w < T.Zero)
            {
                throw new ArgumentException($"class weights must be finite and not negative; found {w}.", nameof(classWeights));
            }

            weightTotal += double.CreateTruncating(w);
        }

        if (!(labelSmoothing >= T.Zero && labelSmoothing <= T.One))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");
        }

        if (withGradient)
        {
            if (gradient.Length != logits.Length)
            {
                throw new ArgumentException($"gradient.Length ({gradient.Length}) must equal logits.Length ({logits.Length}).", nameof(gradient));
            }

            if ((logits.Overlaps(gradient, out int offset) && offset != 0) || gradient.Overlaps(targets) || gradient.Overlaps(classWeights))
            {
                throw new ArgumentException("gradient may be exactly logits (in place) but must not otherwise overlap logits, targets or classWeights.", nameof(gradient));
            }
        }

        if (perRow)
        {
            if (losses.Length != rows)
            {
                throw new ArgumentException($"losses.Length ({losses.Length}) must be the number of rows ({rows}).", nameof(losses));
            }

            if (losses.Overlaps(logits) || losses.Overlaps(gradient) || losses.Overlaps(targets) || losses.Overlaps(classWeights))
            {
                throw new ArgumentException("losses must not overlap logits, targets, classWeights or gradient.", nameof(losses));
            }
        }

        // Labels are checked, and the mean's denominator found, before anything is written: without
        // weights a register of labels at a time (row by row, the sum's chain of additions was 5 % of
        // the 10-class call), the first bad label then named by the loop after.
        int r = 0, counted = 0;
        double weightSum = 0;
        if (classWeights.IsEmpty)
        {
            var ignore = new Vector<int>(ignoreIndex);
            var classCount = new Vector<uint>((uint)classes);
            Vector<int> ignoredLanes = Vector<int>.Zero;
            ref byte start = ref Unsafe.As<int, byte>(ref MemoryMarshal.GetReference(labels));
            for (; r <= labels.Length - Vector<int>.Count; r += Vector<int>.Count)
            {
                var label = Unsafe.ReadUnaligned<Vector<int>>(ref Unsafe.Add(ref start, r * sizeof(int)));
                Vector<int> ignored = Vector.Equals(label, ignore);
                Vector<int> outside = Vector.AsVectorInt32(Vector.GreaterThanOrEqual(Vector.AsVectorUInt32(label), classCount));
                if (!Vector.EqualsAll(Vector.AndNot(outside, ignored), Vector<int>.Zero))
                {
                    break;
                }

                ignoredLanes += ignored; // −1 a lane for each ignored label
            }

            counted = r + Vector.Sum(ignoredLanes);
        }

        for (; r < labels.Length; r++)
        {
            int label = labels[r];
            if (label == ignoreIndex)
            {
                continue;
            }

            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"labels[{r}] = {label} is outside [0, {classes}) and is not ignoreIndex ({ignoreIndex}).");
            }

            counted++;
            weightSum += classWeights.IsEmpty ? 0 : double.CreateTruncating(classWeights[label]);
        }

        double denominator = soft ? rows : classWeights.IsEmpty ? counted : weightSum;

        // A mean over nothing counted is 0 with a zero gradient (PyTorch gives NaN; a batch of padding should not poison training).
        double scale = reduction == Reduction.Sum ? 1 : denominator > 0 ? 1 / denominator : 0;
        if (rows == 0)
        {
            return T.Zero;
        }

        double lossSum = 0;
        fixed (T* pLogits = logits, pTargets = targets, pWeights = classWeights, pGradient = gradient, pLosses = losses)
        fixed (int* pLabels = labels)
        {
            var args = new CrossEntropyArgs<T>
            {
                Logits = pLogits,
                Labels = soft ? null : pLabels,
                Targets = soft ? pTargets : null,
                Weights = classWeights.IsEmpty ? null : pWeights,
                Gradient = withGradient ? pGradient : null,
                Losses = perRow ? pLosses : null,
                LossSum = &lossSum,
                Rows = rows,
                Classes = classes,
                IgnoreIndex = ignoreIndex,
                Smoothing = double.CreateTruncating(labelSmoothing),
                WeightTotal = weightTotal,
                GradientScale = scale,
            };
            // Short hard-label rows go a register of rows at a time: the widest register, whatever the row count.
            KernelWidth width = Dispatch.Choose<T>(!soft && classes <= CrossEntropyKernel<T>.MaxShortClasses ? int.MaxValue : classes, limit);
            Dispatch.Run<CrossEntropyKernel<T>, CrossEntropyArgs<T>, T>(in args, width);
        }

        return T.CreateTruncating(lossSum * scale);
    }

    /// <summary>Validates and runs a backward kernel over the rows of y, dy into dx.</summary>
    public static unsafe void Backward<TRow, T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rowLength, KernelWidth limit = KernelWidth.Vector512)
        where TRow : IBackwardRow<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (y.Length % rowLength != 0)
        {
            throw new ArgumentException($"y.Length ({y.Length}) is not a multiple of rowLength ({rowLength}).", nameof(y));
        }

        if (dy.Length != y.Length)
        {
            throw new ArgumentException($"dy.Length ({dy.Length}) must equal y.Length ({y.Length}).", nameof(dy));
        }

        if (dx.Length != y.Length)
        {
            throw new ArgumentException($"dx.Length ({dx.Length}) must equal y.Length ({y.Length}).", nameof(dx));
        }

        if ((y.Overlaps(dx, out int a) && a != 0) || (dy.Overlaps(dx, out int b) && b != 0))
        {
            throw new ArgumentException("dx may be exactly y or dy (in place) but must not otherwise overlap them.", nameof(dx));
        }

        if (y.IsEmpty)
        {
            return;
        }

        KernelWidth width = Dispatch.Choose<T>(rowLength, limit);
        fixed (T* py = y, pdy = dy, pdx = dx)
        {
            if (typeof(TRow) == typeof(LogSoftmaxBackward<T>))
            {
                // exp(y) assumes log-probabilities: y > 0 is not one, and is refused before dx is written.
                T max = T.NaN;
                var maxArgs = new MaxArgs<T>(py, y.Length, &max);
                Dispatch.Run<MaxOfAll<T>, MaxArgs<T>, T>(in maxArgs, Dispatch.Choose<T>(y.Length, limit));
                if (max > T.Zero)
                {
                    throw new ArgumentException($"y must hold log-probabilities (≤ 0); its largest element is {max}.", nameof(y));
                }
            }

            var args = new BackwardArgs<T>(py, pdy, pdx, y.Length / rowLength, rowLength);
            Dispatch.Run<EachBackwardRow<TRow, T>, BackwardArgs<T>, T>(in args, width);
        }
    }
}
