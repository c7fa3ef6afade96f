using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastSoftmax.Kernels;

/// <summary>The register width a kernel runs on.</summary>
internal enum KernelWidth
{
    Scalar = 0,
    Vector128 = 128,
    Vector256 = 256,
    Vector512 = 512,
}

/// <summary>
/// The one place that picks a width and runs a row kernel over every row. The widest width the
/// hardware accelerates that fits the row wins: a shorter row drops to a narrower register rather
/// than to a scalar tail. <c>FASTSOFTMAX_MAX_WIDTH</c> (512, 256, 128 or 0) caps it, for bug reports
/// and for comparing widths on one machine.
/// </summary>
internal static class Dispatch
{
    private static readonly KernelWidth Cap = ReadCap();

    /// <summary>The widths this process can run, widest first.</summary>
    public static KernelWidth[] Supported { get; } = FindSupported();

    /// <summary>The widest width, at most <paramref name="limit"/> and the process cap, that fits the row.</summary>
    public static KernelWidth Choose<T>(int rowLength, KernelWidth limit = KernelWidth.Vector512)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        KernelWidth cap = limit < Cap ? limit : Cap;
        if (cap >= KernelWidth.Vector512 && Simd512<T>.IsSupported && rowLength >= Vector512<T>.Count)
        {
            return KernelWidth.Vector512;
        }

        if (cap >= KernelWidth.Vector256 && Simd256<T>.IsSupported && rowLength >= Vector256<T>.Count)
        {
            return KernelWidth.Vector256;
        }

        if (cap >= KernelWidth.Vector128 && Simd128<T>.IsSupported && rowLength >= Vector128<T>.Count)
        {
            return KernelWidth.Vector128;
        }

        return KernelWidth.Scalar;
    }

    /// <summary>
    /// For kernels that hold a row shorter than a register in one masked register: the narrowest width
    /// whose register holds the whole row, where it can mask; otherwise as <see cref="Choose"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static KernelWidth ChooseForShortRows<T>(int rowLength, KernelWidth limit = KernelWidth.Vector512)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        KernelWidth cap = limit < Cap ? limit : Cap;
        if (rowLength <= Vector128<T>.Count && cap >= KernelWidth.Vector128 && Simd128<T>.IsSupported && Simd128<T>.HasMaskedMemory)
        {
            return KernelWidth.Vector128;
        }

        if (rowLength <= Vector256<T>.Count && cap >= KernelWidth.Vector256 && Simd256<T>.IsSupported && Simd256<T>.HasMaskedMemory)
        {
            return KernelWidth.Vector256;
        }

        if (rowLength <= Vector512<T>.Count && cap >= KernelWidth.Vector512 && Simd512<T>.IsSupported)
        {
            return KernelWidth.Vector512;
        }

        return Choose<T>(rowLength, limit);
    }

    /// <summary>True when Vector512 runs here and is within the process cap and <paramref name="limit"/>.</summary>
    public static bool AllowsVector512<T>(KernelWidth limit)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        (limit < Cap ? limit : Cap) >= KernelWidth.Vector512 && Simd512<T>.IsSupported;

    /// <summary>Runs <typeparamref name="TKernel"/> at the given width: the one switch over widths.</summary>
    public static void Run<TKernel, TArgs, T>(in TArgs args, KernelWidth width)
        where TKernel : IWidthKernel<TArgs, T>
        where TArgs : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (width)
        {
            case KernelWidth.Vector512:
                TKernel.Run<Simd512<T>, Vector512<T>>(in args);
                break;
            case KernelWidth.Vector256:
                TKernel.Run<Simd256<T>, Vector256<T>>(in args);
                break;
            case KernelWidth.Vector128:
                TKernel.Run<Simd128<T>, Vector128<T>>(in args);
                break;
            default:
                TKernel.Run<SimdScalar<T>, T>(in args);
                break;
        }
    }

    /// <summary>
    /// Runs <typeparamref name="TRow"/> on one row that fits one masked register of the given width and
    /// returns true; false (nothing done) where the width cannot hold the row that way. The pointers and
    /// the length travel in registers: a lone short row costs little more than its arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryOneShortRow<TRow, T>(ref T x, ref T destination, int n, T scale, KernelWidth width)
        where TRow : IRowKernel<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (width)
        {
            case KernelWidth.Vector512 when Simd512<T>.HasMaskedMemory && n <= Simd512<T>.Count:
                OneShortRow<TRow, Simd512<T>, Vector512<T>, T>(ref x, ref destination, n, scale);
                return true;
            case KernelWidth.Vector256 when Simd256<T>.HasMaskedMemory && n <= Simd256<T>.Count:
                OneShortRow<TRow, Simd256<T>, Vector256<T>, T>(ref x, ref destination, n, scale);
                return true;
            case KernelWidth.Vector128 when Simd128<T>.HasMaskedMemory && n <= Simd128<T>.Count:
                OneShortRow<TRow, Simd128<T>, Vector128<T>, T>(ref x, ref destination, n, scale);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Runs <typeparamref name="TRow"/> on one row of n ≥ 1 elements: in one masked register where one
    /// holds it, else at <see cref="Choose"/>'s width. The single-vector calls, straight to the row
    /// kernel without a batch's arguments and checks (through <see cref="Run"/> they cost a row of
    /// 17-1,000 floats about 10 ns more a call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OneRow<TRow, T>(ref T x, ref T destination, int n, KernelWidth limit)
        where TRow : IRowKernel<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (TryOneShortRow<TRow, T>(ref x, ref destination, n, T.One, ChooseForShortRows<T>(n, limit)))
        {
            return;
        }

        switch (Choose<T>(n, limit))
        {
            case KernelWidth.Vector512:
                OneRowAt<TRow, Simd512<T>, Vector512<T>, T>(ref x, ref destination, (nuint)n);
                break;
            case KernelWidth.Vector256:
                OneRowAt<TRow, Simd256<T>, Vector256<T>, T>(ref x, ref destination, (nuint)n);
                break;
            case KernelWidth.Vector128:
                OneRowAt<TRow, Simd128<T>, Vector128<T>, T>(ref x, ref destination, (nuint)n);
                break;
            default:
                OneRowAt<TRow, SimdScalar<T>, T, T>(ref x, ref destination, (nuint)n);
                break;
        }
    }

    // The two-register row is a method apart from the passes' one: in the same method (even as a
    // call) it cost the passes' rows a third of their speed at n = 100.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneRowAt<TRow, TS, TVec, T>(ref T x, ref T destination, nuint n)
        where TRow : IRowKernel<T>
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (TRow.HasTwoRegisterRow && n <= 2 * (nuint)TS.Count)
        {
            TwoRegisterRow<TRow, TS, TVec, T>(ref x, ref destination, n);
        }
        else
        {
            OneRow<TRow, TS, TVec, T>(ref x, ref destination, n);
        }
    }

    // Fully optimized from its first call, as EachRow.Rows.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void OneRow<TRow, TS, TVec, T>(ref T x, ref T destination, nuint n)
        where TRow : IRowKernel<T>
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TRow.Row<TS, TVec>(ref x, ref destination, n, T.One, nextRow: 0);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TwoRegisterRow<TRow, TS, TVec, T>(ref T x, ref T destination, nuint n)
        where TRow : IRowKernel<T>
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TRow.TwoRegisterRow<TS, TVec>(ref x, ref destination, n, T.One);

    // Its own method per width, as EachRow.Run.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OneShortRow<TRow, TS, TVec, T>(ref T x, ref T destination, int n, T scale)
        where TRow : IRowKernel<T>
        where TS : ISimd<TVec, T>
        where TVec : struct
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        TRow.ShortRow<TS, TVec>(ref x, ref destination, n, TS.FirstLanes(n), scale);

    private static KernelWidth ReadCap()
    {
        // Before any kernel is compiled (every entry point asks Dispatch for a width first): see ExpConstants.
        RuntimeHelpers.RunClassConstructor(typeof(ExpConstants<float>).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(ExpConstants<double>).TypeHandle);
        return int.TryParse(Environment.GetEnvironmentVariable("FASTSOFTMAX_MAX_WIDTH"), out int bits) ? (KernelWidth)bits : KernelWidth.Vector512;
    }

    private static KernelWidth[] FindSupported()
    {
        var widths = new System.Collections.Generic.List<KernelWidth>();
        if (Simd512<float>.IsSupported)
        {
            widths.Add(KernelWidth.Vector512);
        }

        if (Simd256<float>.IsSupported)
        {
            widths.Add(KernelWidth.Vector256);
        }

        if (Simd128<float>.IsSupported)
        {
            widths.Add(KernelWidth.Vector128);
        }

        widths.Add(KernelWidth.Scalar);
        return widths.ToArray();
    }
}
