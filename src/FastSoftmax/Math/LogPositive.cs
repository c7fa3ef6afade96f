using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastSoftmax.Kernels;

/// <summary>
/// log(x) in double for a positive normal finite x, within an ulp (0.86 ulp worst seen; Math.Log's is
/// 0.5), inline. The kernels take one log per row (of the row's Σ exp); a call to Math.Log costs about
/// 45 cycles of latency and spills every vector register, which is most of a short row's time (at the
/// end of a long log-softmax or log-sum-exp row, where no vector register is live, Math.Log is the
/// faster on Zen 5: <c>LogOfSum.Log</c>).
/// </summary>
/// <remarks>
/// x = 2^k·m with m in [√½, √2); log x = k·ln 2 + log1p(f), f = m − 1 (exact), and
/// log1p(f) = 2·atanh(s) = 2s + 2s³/3 + 2s⁵/5 + …, s = f / (2 + f), |s| ≤ 0.1716: the series through
/// s¹⁹ leaves a relative error below 2^-55. As fdlibm's log, 2s is taken as f − (f²/2 − s·f²/2), so
/// that the exact f leads and every rounded term is below a fifth of it (2s + s·R rounded, ~2 ulp).
/// Near x = 1 the result keeps its relative accuracy. Plain multiplies and adds (no FMA), so every
/// machine and every lane gives the same bits. The double rows of the general kernels keep Math.Log.
/// </remarks>
internal static class LogPositive
{
    private const ulong SqrtHalfBits = 0x3FE6A09E667F3BCD;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Compute(double x)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(x);
        long k = (long)(bits - SqrtHalfBits) >> 52;
        double f = BitConverter.UInt64BitsToDouble(bits - ((ulong)k << 52)) - 1;
        double s = f / (2 + f);
        double z = s * s, z2 = z * z, z4 = z2 * z2;

        // 2/3 + 2/5·z + … + 2/19·z⁸ by Estrin's scheme: four dependent steps instead of Horner's nine,
        // since this log sits on each row's critical path.
        double p01 = (2.0 / 3) + ((2.0 / 5) * z), p23 = (2.0 / 7) + ((2.0 / 9) * z);
        double p45 = (2.0 / 11) + ((2.0 / 13) * z), p67 = (2.0 / 15) + ((2.0 / 17) * z);
        double p = (p01 + (p23 * z2)) + (((p45 + (p67 * z2)) + ((2.0 / 19) * z4)) * z4);
        double halfSquare = 0.5 * f * f;
        return (k * Ln2Hi) - ((halfSquare - ((s * (halfSquare + (z * p))) + (k * Ln2Lo))) - f);
    }

    /// <summary>
    /// <see cref="Compute(double)"/> on every lane, step for step, so each lane gets the bits the scalar
    /// form gives it (tested). Two forms of one formula: the scalar one costs the row kernels 8 % less
    /// at n = 100 than a one-lane vector (measured), and the vector one takes a register of short rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Compute(Vector<double> x)
    {
        // k = round(log2(x / √½)) without a 64-bit arithmetic shift (AVX2 has none): shifted up by 2^11.
        Vector<ulong> bits = Vector.AsVectorUInt64(x);
        Vector<ulong> kBiased = Vector.ShiftRightLogical(bits + new Vector<ulong>(0x8000000000000000 - SqrtHalfBits), 52);
        Vector<ulong> k = kBiased - new Vector<ulong>(2048);
        Vector<double> f = Vector.AsVectorDouble(bits - Vector.ShiftLeft(k, 52)) - Vector<double>.One;
        Vector<double> s = f / (new Vector<double>(2) + f);
        Vector<double> z = s * s, z2 = z * z, z4 = z2 * z2;

        Vector<double> p01 = C(2.0 / 3) + (C(2.0 / 5) * z), p23 = C(2.0 / 7) + (C(2.0 / 9) * z);
        Vector<double> p45 = C(2.0 / 11) + (C(2.0 / 13) * z), p67 = C(2.0 / 15) + (C(2.0 / 17) * z);
        Vector<double> p = (p01 + (p23 * z2)) + (((p45 + (p67 * z2)) + (C(2.0 / 19) * z4)) * z4);
        Vector<double> halfSquare = C(0.5) * f * f;

        // k exactly as a double: 2^52 + (k + 2^11) has those low bits.
        Vector<double> kd = Vector.AsVectorDouble(kBiased + new Vector<ulong>(0x4330000000000000)) - C(4503599627370496.0 + 2048);
        return (kd * C(Ln2Hi)) - ((halfSquare - ((s * (halfSquare + (z * p))) + (kd * C(Ln2Lo)))) - f);
    }

    /// <summary><see cref="Compute(Vector{double})"/> on a Vector512: the same steps, so the same bits per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Compute(Vector512<double> x)
    {
        Vector512<ulong> bits = x.AsUInt64();
        Vector512<ulong> kBiased = Vector512.ShiftRightLogical(bits + Vector512.Create(0x8000000000000000 - SqrtHalfBits), 52);
        Vector512<ulong> k = kBiased - Vector512.Create(2048UL);
        Vector512<double> f = (bits - Vector512.ShiftLeft(k, 52)).AsDouble() - Vector512<double>.One;
        Vector512<double> s = f / (Vector512.Create(2.0) + f);
        Vector512<double> z = s * s, z2 = z * z, z4 = z2 * z2;

        Vector512<double> p01 = D(2.0 / 3) + (D(2.0 / 5) * z), p23 = D(2.0 / 7) + (D(2.0 / 9) * z);
        Vector512<double> p45 = D(2.0 / 11) + (D(2.0 / 13) * z), p67 = D(2.0 / 15) + (D(2.0 / 17) * z);
        Vector512<double> p = (p01 + (p23 * z2)) + (((p45 + (p67 * z2)) + (D(2.0 / 19) * z4)) * z4);
        Vector512<double> halfSquare = D(0.5) * f * f;
        Vector512<double> kd = (kBiased + Vector512.Create(0x4330000000000000UL)).AsDouble() - D(4503599627370496.0 + 2048);
        return (kd * D(Ln2Hi)) - ((halfSquare - ((s * (halfSquare + (z * p))) + (kd * D(Ln2Lo)))) - f);
    }

    private static Vector<double> C(double value) => new(value);

    private static Vector512<double> D(double value) => Vector512.Create(value);

    // ln 2 = Ln2Hi + Ln2Lo, Ln2Hi with its low 32 bits zero so that k·Ln2Hi is exact.
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
}
