using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using FastSoftmax.Kernels;

namespace FastSoftmax.Benchmarks;

/// <summary>
/// exp alone over 4,096 floats in [-87, 0] (in L1): our restricted-domain exp against
/// TensorPrimitives.Exp, the check behind keeping our own (see docs/accuracy.md for its error).
/// Beside them, in the same run, both softmaxes of the same floats: a softmax reads x, computes
/// an exp per element and writes the destination, as the exp alone does, so our exp alone bounds
/// how far our softmax can get ahead of TensorPrimitives.SoftMax. Also at 100 floats, the issue's
/// short row, where the exp alone (inlined into the benchmark: no call) bounds the one call.
/// </summary>
[MemoryDiagnoser]
public class ExpOnly
{
    private float[] _x = [], _y = [];

    [Params(100, 4_096)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = new float[N];
        _y = new float[N];
        var random = new Random(1);
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)(-87 * random.NextDouble());
        }
    }

    [Benchmark(Baseline = true)]
    public void TensorPrimitivesExp() => TensorPrimitives.Exp(_x, _y);

    [Benchmark]
    public void MathFExpLoop()
    {
        for (int i = 0; i < _x.Length; i++)
        {
            _y[i] = MathF.Exp(_x[i]);
        }
    }

    [Benchmark]
    public void TensorPrimitivesSoftMax() => TensorPrimitives.SoftMax(_x, _y);

    [Benchmark]
    public void FastSoftmaxForward() => Softmax.Forward(_x, _y);

    [Benchmark]
    public void FastSoftmaxExpNonPositive()
    {
        ref float x = ref MemoryMarshal.GetArrayDataReference(_x);
        ref float y = ref MemoryMarshal.GetArrayDataReference(_y);
        if (Simd512<float>.IsSupported)
        {
            ExpAlone<Simd512<float>, Vector512<float>>(ref x, ref y, (nuint)_x.Length);
        }
        else
        {
            ExpAlone<Simd256<float>, Vector256<float>>(ref x, ref y, (nuint)_x.Length);
        }
    }

    // Whole registers, then the last one ending at n over elements done already, as the kernels' passes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExpAlone<TS, TVec>(ref float x, ref float y, nuint n)
        where TS : ISimd<TVec, float>
        where TVec : struct
    {
        nuint c = (nuint)TS.Count;
        for (nuint i = 0; i + c <= n; i += c)
        {
            TS.Store(ExpNonPositive.Compute<TS, TVec, float>(TS.Load(ref x, i), default), ref y, i);
        }

        if (n % c != 0)
        {
            TS.Store(ExpNonPositive.Compute<TS, TVec, float>(TS.Load(ref x, n - c), default), ref y, n - c);
        }
    }
}
