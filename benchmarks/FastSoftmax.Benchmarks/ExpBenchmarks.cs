using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using FastSoftmax.Kernels;

namespace FastSoftmax.Benchmarks;

/// <summary>
/// exp alone over 4,096 floats in [-87, 0] (in L1): our restricted-domain exp against
/// TensorPrimitives.Exp, the check behind keeping our own (see docs/accuracy.md for its error).
/// Beside them, in the same run, both softmaxes of the same 4,096 floats: a softmax reads x, computes
/// an exp per element and writes the destination, as the exp alone does, so our exp alone bounds
/// how far our softmax can get ahead of TensorPrimitives.SoftMax.
/// </summary>
[MemoryDiagnoser]
public class ExpOnly
{
    private readonly float[] _x = new float[4096];
    private readonly float[] _y = new float[4096];

    [GlobalSetup]
    public void Setup()
    {
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
            for (nuint i = 0; i < (nuint)_x.Length; i += 16)
            {
                Simd512<float>.Store(ExpNonPositive.Compute<Simd512<float>, Vector512<float>, float>(Simd512<float>.Load(ref x, i), default), ref y, i);
            }
        }
        else
        {
            for (nuint i = 0; i < (nuint)_x.Length; i += 8)
            {
                Simd256<float>.Store(ExpNonPositive.Compute<Simd256<float>, Vector256<float>, float>(Simd256<float>.Load(ref x, i), default), ref y, i);
            }
        }
    }
}
