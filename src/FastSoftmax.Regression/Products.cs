using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSoftmax.Regression;

/// <summary>
/// The objective's two matrix products over one block of rows, in double from float features (X is
/// read as float, half the bytes, and widened as it is loaded). Classes are padded to
/// <see cref="TileClasses"/> (zero rows of W and of its gradient, zero columns of the logits' gradient)
/// and columns to <see cref="ColumnMultiple"/> (zeros), so every loop runs in whole registers and tiles.
/// </summary>
/// <remarks>
/// A tile is five classes by four rows or registers of columns where AVX-512 gives 32 registers (20
/// sums), by two where there are 16. Each widened register of X then feeds five FMAs: tiles of four
/// classes by four rows (logits) and by two registers (gradient), 4 + 4 + 2 for ten classes, took
/// 158 µs an evaluation on the digits and 6.9 ms on MNIST, these 132 µs and 5.7-6.1 ms (Zen 4, one
/// thread). A transposed copy of X for the logits, which saves their sums across registers, was no
/// faster with these tiles on the digits and slower on MNIST (its copy comes from memory).
/// </remarks>
internal static class Products
{
    /// <summary>Columns of X are padded to this: two registers of the widest width.</summary>
    public const int ColumnMultiple = 16;

    /// <summary>Classes per tile; classes are padded to a multiple of it.</summary>
    public const int TileClasses = 5;

    public static int PaddedClasses(int c) => (c + TileClasses - 1) / TileClasses * TileClasses;

    public static int PaddedColumns(int d) => (d + ColumnMultiple - 1) / ColumnMultiple * ColumnMultiple;

    /// <summary>
    /// z [rows × c] = X·Wᵀ + b for x [rows × dp] and w [cp × dp]: tiles of four rows (two without
    /// AVX-512) by five classes, each logit summed across its register at the end.
    /// </summary>
    public static void Logits<TV, TVec>(ReadOnlySpan<float> x, ReadOnlySpan<double> w, ReadOnlySpan<double> b, Span<double> z, int rows, int dp, int c)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        int step = Registers<TV, TVec>();
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref double w0 = ref MemoryMarshal.GetReference(w);
        int i = 0;
        for (; i + step <= rows; i += step)
        {
            for (int k = 0; k < c; k += TileClasses)
            {
                RowTile<TV, TVec>(ref Unsafe.Add(ref x0, i * dp), ref Unsafe.Add(ref w0, k * dp), dp, b, z, i, k, c, Registers<TV, TVec>());
            }
        }

        for (; i < rows; i++)
        {
            for (int k = 0; k < c; k += TileClasses)
            {
                RowTile<TV, TVec>(ref Unsafe.Add(ref x0, i * dp), ref Unsafe.Add(ref w0, k * dp), dp, b, z, i, k, c, 1);
            }
        }
    }

    /// <summary>Rows i to i + rowCount − 1 (1, 2 or 4) by classes k to k + 4 from the rows of X.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTile<TV, TVec>(ref float x, ref double w, int dp, ReadOnlySpan<double> b, Span<double> z, int i, int k, int c, int rowCount)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        TVec a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        TVec a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        TVec a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        TVec a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        bool two = rowCount >= 2, four = rowCount == 4;
        for (int j = 0; j < dp; j += TV.Count)
        {
            ref float xj = ref Unsafe.Add(ref x, j);
            TVec x0 = TV.LoadWidened(ref xj);
            TVec x1 = two ? TV.LoadWidened(ref Unsafe.Add(ref xj, dp)) : default;
            TVec x2 = four ? TV.LoadWidened(ref Unsafe.Add(ref xj, 2 * dp)) : default, x3 = four ? TV.LoadWidened(ref Unsafe.Add(ref xj, 3 * dp)) : default;
            ref double wj = ref Unsafe.Add(ref w, j);
            (a00, a10, a20, a30) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Load(ref wj), a00, a10, a20, a30, rowCount);
            (a01, a11, a21, a31) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Load(ref Unsafe.Add(ref wj, dp)), a01, a11, a21, a31, rowCount);
            (a02, a12, a22, a32) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Load(ref Unsafe.Add(ref wj, 2 * dp)), a02, a12, a22, a32, rowCount);
            (a03, a13, a23, a33) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Load(ref Unsafe.Add(ref wj, 3 * dp)), a03, a13, a23, a33, rowCount);
            (a04, a14, a24, a34) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Load(ref Unsafe.Add(ref wj, 4 * dp)), a04, a14, a24, a34, rowCount);
        }

        PutRow<TV, TVec>(z, b, i, k, c, a00, a01, a02, a03, a04);
        if (two)
        {
            PutRow<TV, TVec>(z, b, i + 1, k, c, a10, a11, a12, a13, a14);
        }

        if (four)
        {
            PutRow<TV, TVec>(z, b, i + 2, k, c, a20, a21, a22, a23, a24);
            PutRow<TV, TVec>(z, b, i + 3, k, c, a30, a31, a32, a33, a34);
        }
    }

    /// <summary>z[i, k + q] = Σ lanes of aq + b[k + q], for the classes of the tile that exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutRow<TV, TVec>(Span<double> z, ReadOnlySpan<double> b, int i, int k, int c, TVec a0, TVec a1, TVec a2, TVec a3, TVec a4)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        int at = (i * c) + k, classes = Math.Min(TileClasses, c - k);
        z[at] = TV.Sum(a0) + b[k];
        if (classes > 1)
        {
            z[at + 1] = TV.Sum(a1) + b[k + 1];
        }

        if (classes > 2)
        {
            z[at + 2] = TV.Sum(a2) + b[k + 2];
        }

        if (classes > 3)
        {
            z[at + 3] = TV.Sum(a3) + b[k + 3];
        }

        if (classes > 4)
        {
            z[at + 4] = TV.Sum(a4) + b[k + 4];
        }
    }

    /// <summary>
    /// gw[k, j] += Σ_i g[i, k]·x[i, j] and gb[k] += Σ_i g[i, k], for x [rows × dp], g [rows × cp] and
    /// gw [cp × dp]: each tile's sums stay in registers across the block's rows.
    /// </summary>
    public static void AddWeightGradient<TV, TVec>(ReadOnlySpan<float> x, ReadOnlySpan<double> g, Span<double> gw, Span<double> gb, int rows, int dp, int c)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        int cp = PaddedClasses(c), width = TV.Count, wide = Registers<TV, TVec>() * width;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref double g0 = ref MemoryMarshal.GetReference(g);
        ref double gw0 = ref MemoryMarshal.GetReference(gw);
        for (int k = 0; k < c; k += TileClasses)
        {
            int j = 0;
            for (; j + wide <= dp; j += wide)
            {
                GradientTile<TV, TVec>(ref Unsafe.Add(ref x0, j), ref Unsafe.Add(ref g0, k), ref Unsafe.Add(ref gw0, (k * dp) + j), rows, dp, cp, four: Registers<TV, TVec>() == 4);
            }

            for (; j < dp; j += 2 * width)
            {
                GradientTile<TV, TVec>(ref Unsafe.Add(ref x0, j), ref Unsafe.Add(ref g0, k), ref Unsafe.Add(ref gw0, (k * dp) + j), rows, dp, cp, four: false);
            }
        }

        for (int i = 0; i < rows; i++)
        {
            for (int q = 0; q < c; q++)
            {
                gb[q] += g[(i * cp) + q];
            }
        }
    }

    /// <summary>Rows (logits) or registers of columns (gradient) per tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Registers<TV, TVec>()
        where TV : IDoubleVector<TVec>
        where TVec : struct =>
        typeof(TV) == typeof(Doubles512) ? 4 : 2;

    /// <summary>Five classes' gradient rows over four (or two) registers of columns: x at the first column, g at the first class, gw at both.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTile<TV, TVec>(ref float x, ref double g, ref double gw, int rows, int dp, int cp, bool four)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        int width = TV.Count;
        TVec a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        TVec a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        TVec a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        TVec a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        ref float xi = ref x;
        ref double gi = ref g;
        int registers = four ? 4 : 2;
        for (int i = 0; i < rows; i++)
        {
            TVec x0 = TV.LoadWidened(ref xi), x1 = TV.LoadWidened(ref Unsafe.Add(ref xi, width));
            TVec x2 = four ? TV.LoadWidened(ref Unsafe.Add(ref xi, 2 * width)) : default, x3 = four ? TV.LoadWidened(ref Unsafe.Add(ref xi, 3 * width)) : default;
            (a00, a10, a20, a30) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Broadcast(gi), a00, a10, a20, a30, registers);
            (a01, a11, a21, a31) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Broadcast(Unsafe.Add(ref gi, 1)), a01, a11, a21, a31, registers);
            (a02, a12, a22, a32) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Broadcast(Unsafe.Add(ref gi, 2)), a02, a12, a22, a32, registers);
            (a03, a13, a23, a33) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Broadcast(Unsafe.Add(ref gi, 3)), a03, a13, a23, a33, registers);
            (a04, a14, a24, a34) = MultiplyAdd<TV, TVec>(x0, x1, x2, x3, TV.Broadcast(Unsafe.Add(ref gi, 4)), a04, a14, a24, a34, registers);
            xi = ref Unsafe.Add(ref xi, dp);
            gi = ref Unsafe.Add(ref gi, cp);
        }

        AddGradients<TV, TVec>(ref gw, dp, a00, a01, a02, a03, a04);
        AddGradients<TV, TVec>(ref Unsafe.Add(ref gw, width), dp, a10, a11, a12, a13, a14);
        if (four)
        {
            AddGradients<TV, TVec>(ref Unsafe.Add(ref gw, 2 * width), dp, a20, a21, a22, a23, a24);
            AddGradients<TV, TVec>(ref Unsafe.Add(ref gw, 3 * width), dp, a30, a31, a32, a33, a34);
        }
    }

    /// <summary>aq += xq·v for the first <paramref name="count"/> (1, 2 or 4) of a tile's rows or registers; the others as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVec A0, TVec A1, TVec A2, TVec A3) MultiplyAdd<TV, TVec>(TVec x0, TVec x1, TVec x2, TVec x3, TVec v, TVec a0, TVec a1, TVec a2, TVec a3, int count)
        where TV : IDoubleVector<TVec>
        where TVec : struct =>
        (TV.MultiplyAdd(x0, v, a0),
         count >= 2 ? TV.MultiplyAdd(x1, v, a1) : a1,
         count == 4 ? TV.MultiplyAdd(x2, v, a2) : a2,
         count == 4 ? TV.MultiplyAdd(x3, v, a3) : a3);

    /// <summary>A register of columns of five classes' gradient rows, gw at the first, += the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddGradients<TV, TVec>(ref double gw, int dp, TVec a0, TVec a1, TVec a2, TVec a3, TVec a4)
        where TV : IDoubleVector<TVec>
        where TVec : struct
    {
        AddTo<TV, TVec>(ref gw, a0);
        AddTo<TV, TVec>(ref Unsafe.Add(ref gw, dp), a1);
        AddTo<TV, TVec>(ref Unsafe.Add(ref gw, 2 * dp), a2);
        AddTo<TV, TVec>(ref Unsafe.Add(ref gw, 3 * dp), a3);
        AddTo<TV, TVec>(ref Unsafe.Add(ref gw, 4 * dp), a4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TV, TVec>(ref double destination, TVec a)
        where TV : IDoubleVector<TVec>
        where TVec : struct =>
        TV.Store(TV.Add(TV.Load(ref destination), a), ref destination);
}
