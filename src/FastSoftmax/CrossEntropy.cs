using System;

namespace FastSoftmax;

/// <summary>
/// Softmax cross-entropy over the rows of a row-major batch of logits [rows × classes], fused with its
/// gradient with respect to the logits, in float and double, with PyTorch's <c>cross_entropy</c> options.
/// </summary>
/// <remarks>
/// <para>Per row, with p = softmax(z), w the class weights (1 without), ε the label smoothing and C the classes:
/// hard label y: loss = (1 − ε)·w_y·(LSE(z) − z_y) + (ε/C)·Σ_c w_c·(LSE(z) − z_c);
/// soft target t: loss = Σ_c w_c·t'_c·(LSE(z) − z_c) with t' = (1 − ε)·t + ε/C.
/// LSE(z) − z_y is computed as log Σ exp(z − max) − (z_y − max): never NaN for finite logits, +∞ when
/// z_y = −∞ and another logit is finite.</para>
/// <para>Mean divides by Σ of w_y over the rows not ignored (hard labels; PyTorch's rule, also with
/// smoothing: the smoothing term is divided by the same sum) or by the row count (soft targets). A mean
/// over no counted row is 0 with a zero gradient, where PyTorch returns NaN. The gradient is that of the
/// reduced loss: f·(K·p − w ⊙ u) with u the (smoothed) target, K = Σ_c w_c·u_c and f = 1/denominator
/// for Mean, 1 for Sum and for the per-row overloads.</para>
/// <para>Special values per row: a NaN logit makes that row's loss and gradient NaN; +∞ logits take the
/// limit (p = 1/k on the k entries of +∞); a fully masked row (all −∞) has loss +∞. The gradient may be
/// exactly the logits span (in place). Nothing is allocated.</para>
/// </remarks>
public static class CrossEntropy
{
    /// <summary>The default ignoreIndex, as in PyTorch.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>The mean or summed cross-entropy of each row's logits against its class label.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (weighted; see <see cref="Reduction.Mean"/>) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows add no loss and do not count in the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target is (1 − ε)·one-hot + ε/classes.</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex (the message names the row); labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, or a negative or non-finite class weight.</exception>
    public static float Loss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, default, false, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Each row's cross-entropy against its class label (PyTorch's reduction 'none'), written to <paramref name="losses"/>; ignored rows get 0.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="losses">Receives one loss per row; must not overlap the inputs.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows get loss 0.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void Loss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> losses, int classes, ReadOnlySpan<float> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, losses, true, default, false, classes, Reduction.Sum, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>The reduced cross-entropy and its gradient with respect to the logits, in one fused pass per row.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="gradient">Receives d loss / d logits: f·(K·softmax(z) − w ⊙ target) per row, f = 1/denominator for Mean, 1 for Sum; ignored rows get 0. May be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (weighted) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows add no loss, get a zero gradient row and do not count in the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, gradient partially overlapping logits, or a bad class weight.</exception>
    public static float LossAndGradient(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> gradient, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, default, false, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Per-row losses (reduction 'none') and the gradient of their sum with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="gradient">Receives d(Σ losses)/d logits; may be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows get loss 0 and a zero gradient row.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void LossAndGradient(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> losses, Span<float> gradient, int classes, ReadOnlySpan<float> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, losses, true, gradient, true, classes, Reduction.Sum, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>The mean or summed cross-entropy of each row's logits against a target distribution (soft labels).</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes]: a distribution per row; it need not sum to 1 (as in PyTorch), and a 0 target ignores its logit even when −∞.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (over rows, whatever the weights, as PyTorch) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: targets become (1 − ε)·t + ε/classes.</param>
    /// <returns>The reduced loss: Σ_rows −Σ_c w_c·t'_c·log softmax(z)_c, divided by rows for Mean.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, or a bad class weight.</exception>
    public static float Loss(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, default, false, default, false, classes, reduction, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>Each row's cross-entropy against its target distribution, written to <paramref name="losses"/>.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void Loss(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> losses, int classes, ReadOnlySpan<float> classWeights = default, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, losses, true, default, false, classes, Reduction.Sum, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>The reduced soft-target cross-entropy and its gradient f·((Σ_c w_c·t'_c)·softmax(z) − w ⊙ t') with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="gradient">Receives d loss / d logits; may be exactly logits, must not overlap targets.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (over rows) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, gradient overlapping an input other than exactly logits, or a bad class weight.</exception>
    public static float LossAndGradient(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> classWeights = default, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, default, false, gradient, true, classes, reduction, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>Per-row soft-target losses and the gradient of their sum with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="gradient">Receives d(Σ losses)/d logits; may be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void LossAndGradient(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> losses, Span<float> gradient, int classes, ReadOnlySpan<float> classWeights = default, float labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, losses, true, gradient, true, classes, Reduction.Sum, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>The mean or summed cross-entropy of each row's logits against its class label.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (weighted; see <see cref="Reduction.Mean"/>) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows add no loss and do not count in the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target is (1 − ε)·one-hot + ε/classes.</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex (the message names the row); labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, or a negative or non-finite class weight.</exception>
    public static double Loss(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<double> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, default, false, default, false, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Each row's cross-entropy against its class label (PyTorch's reduction 'none'), written to <paramref name="losses"/>; ignored rows get 0.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="losses">Receives one loss per row; must not overlap the inputs.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows get loss 0.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void Loss(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, Span<double> losses, int classes, ReadOnlySpan<double> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, losses, true, default, false, classes, Reduction.Sum, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>The reduced cross-entropy and its gradient with respect to the logits, in one fused pass per row.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="gradient">Receives d loss / d logits: f·(K·softmax(z) − w ⊙ target) per row, f = 1/denominator for Mean, 1 for Sum; ignored rows get 0. May be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (weighted) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows add no loss, get a zero gradient row and do not count in the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, gradient partially overlapping logits, or a bad class weight.</exception>
    public static double LossAndGradient(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, Span<double> gradient, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<double> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, default, false, gradient, true, classes, reduction, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>Per-row losses (reduction 'none') and the gradient of their sum with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="labels">One class index per row, in [0, classes), or ignoreIndex.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="gradient">Receives d(Σ losses)/d logits; may be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="ignoreIndex">A label value whose rows get loss 0 and a zero gradient row.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; a label outside [0, classes) that is not ignoreIndex; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void LossAndGradient(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, Span<double> losses, Span<double> gradient, int classes, ReadOnlySpan<double> classWeights = default, int ignoreIndex = DefaultIgnoreIndex, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, labels, default, false, losses, true, gradient, true, classes, Reduction.Sum, classWeights, ignoreIndex, labelSmoothing);

    /// <summary>The mean or summed cross-entropy of each row's logits against a target distribution (soft labels).</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes]: a distribution per row; it need not sum to 1 (as in PyTorch), and a 0 target ignores its logit even when −∞.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (over rows, whatever the weights, as PyTorch) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one finite, non-negative weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: targets become (1 − ε)·t + ε/classes.</param>
    /// <returns>The reduced loss: Σ_rows −Σ_c w_c·t'_c·log softmax(z)_c, divided by rows for Mean.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, or a bad class weight.</exception>
    public static double Loss(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<double> classWeights = default, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, default, false, default, false, classes, reduction, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>Each row's cross-entropy against its target distribution, written to <paramref name="losses"/>.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void Loss(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, Span<double> losses, int classes, ReadOnlySpan<double> classWeights = default, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, losses, true, default, false, classes, Reduction.Sum, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>The reduced soft-target cross-entropy and its gradient f·((Σ_c w_c·t'_c)·softmax(z) − w ⊙ t') with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="gradient">Receives d loss / d logits; may be exactly logits, must not overlap targets.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="reduction">Mean (over rows) or Sum.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The reduced loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1]; an undefined reduction.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length, gradient overlapping an input other than exactly logits, or a bad class weight.</exception>
    public static double LossAndGradient(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, Span<double> gradient, int classes, Reduction reduction = Reduction.Mean, ReadOnlySpan<double> classWeights = default, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, default, false, gradient, true, classes, reduction, classWeights, DefaultIgnoreIndex, labelSmoothing);

    /// <summary>Per-row soft-target losses and the gradient of their sum with respect to the logits.</summary>
    /// <param name="logits">Row-major [rows × classes].</param>
    /// <param name="targets">Row-major [rows × classes] target distributions.</param>
    /// <param name="losses">Receives one loss per row.</param>
    /// <param name="gradient">Receives d(Σ losses)/d logits; may be exactly logits.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="classWeights">Empty for none, else one weight per class.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">classes ≤ 0; labelSmoothing outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A span of the wrong length or overlapping another, or a bad class weight.</exception>
    public static void LossAndGradient(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, Span<double> losses, Span<double> gradient, int classes, ReadOnlySpan<double> classWeights = default, double labelSmoothing = 0) =>
        EntryCrossEntropy.Run(logits, default, targets, true, losses, true, gradient, true, classes, Reduction.Sum, classWeights, DefaultIgnoreIndex, labelSmoothing);
}
