namespace FastSoftmax;

/// <summary>How <see cref="CrossEntropy"/> combines the rows' losses (PyTorch's <c>reduction</c>).</summary>
public enum Reduction
{
    /// <summary>
    /// The weighted mean: Σ loss / Σ (weight of each counted row's label); without class weights, the
    /// number of rows not ignored. With soft targets, the number of rows. Over nothing counted: 0.
    /// </summary>
    Mean,

    /// <summary>The sum of the rows' losses.</summary>
    Sum,
}
