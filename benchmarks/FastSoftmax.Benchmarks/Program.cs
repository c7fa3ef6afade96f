using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using FastSoftmax.Kernels;

namespace FastSoftmax.Benchmarks;

public static class Program
{
    /// <summary>
    /// With arguments: BenchmarkDotNet's own command line (--filter, --job, --list, ...).
    /// Without: a quick side-by-side run of every kernel benchmark (ShortRun: 3 warmups, 3
    /// iterations), enough to see the ratios; docs/benchmarks.md records a full run. The slow
    /// TrainingRun is left to an explicit --filter.
    /// </summary>
    public static int Main(string[] args)
    {
        Console.WriteLine($"FastSoftmax widths on this machine: {string.Join(", ", Dispatch.Supported)}");
        if (args.Length == 5 && args[0] == "profile")
        {
            return Profile(args[1], int.Parse(args[2]), int.Parse(args[3]), double.Parse(args[4]));
        }

        if (args.Length > 0)
        {
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }

        IConfig quick = DefaultConfig.Instance.AddJob(Job.ShortRun);
        var all = typeof(Program).Assembly.GetTypes()
            .Where(t => t.IsPublic && t != typeof(TrainingRun) && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
            .Select(t => BenchmarkRunner.Run(t, quick))
            .ToArray();
        return all.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// profile OP N ROWS SECONDS: one kernel (softmax, logsoftmax, logsumexp, crossentropy in float;
    /// softmax-double, crossentropy-double; scale-rows, the memory traffic's floor for a batch; softmax-vector, softmax-inplace and tensorprimitives-softmax:
    /// the one-vector overloads on the whole array, the in-place one with x as its destination) on
    /// [ROWS x N] in a loop for that long, for a sampling profiler (benchmarks/profile.sh); prints its speed.
    /// The float input and output start on a 64-byte boundary, or XA / YA elements past one (environment
    /// variables): a load or store across two cache lines costs, so that where the GC puts an array
    /// moves the speed of a call by up to a tenth. MIXED=1: softmax at n = 10 and 100 first, as
    /// VectorSoftmaxAfterMixedSizes does. The line printed ends with both arrays' addresses.
    /// </summary>
    private static int Profile(string op, int n, int rows, double seconds)
    {
        var random = new Random(1);
        ArraySegment<float> x = At64BytesPlus(n * rows, "XA"), y = At64BytesPlus(n * rows, "YA");
        int[] labels = new int[rows];
        for (int i = 0; i < x.Count; i++)
        {
            x[i] = (float)((random.NextDouble() * 16) - 8);
        }

        for (int r = 0; r < rows; r++)
        {
            labels[r] = random.Next(n);
        }

        double[] xd = x.Select(v => (double)v).ToArray(), yd = new double[x.Count];
        Action call = op switch
        {
            "softmax" => () => Softmax.Forward(x, y, n),
            "softmax-vector" => () => Softmax.Forward(x, y),
            "softmax-inplace" => () => Softmax.Forward(x, x),
            "tensorprimitives-softmax" => () => System.Numerics.Tensors.TensorPrimitives.SoftMax(x, y),
            "logsoftmax" => () => LogSoftmax.Forward(x, y, n),
            "logsumexp" => () => LogSumExp.Compute(x, y.AsSpan(0, rows), n),
            "crossentropy" => () => CrossEntropy.LossAndGradient(x, labels, y, n),
            "crossentropy-double" => () => CrossEntropy.LossAndGradient(xd, labels, yd, n),
            "softmax-double" => () => Softmax.Forward(xd, yd, n),
            "scale-rows" => () => Peers.ScaleRows(x, y, n),
            _ => throw new ArgumentException($"unknown op '{op}'", nameof(op)),
        };
        if (Environment.GetEnvironmentVariable("MIXED") == "1")
        {
            // As VectorSoftmaxAfterMixedSizes: 20,000 calls at n = 10 and 100 first.
            foreach (int small in new[] { 10, 100 })
            {
                float[] xs = Data.Logits(small), ys = new float[small];
                for (int i = 0; i < 20_000; i++)
                {
                    Softmax.Forward(xs, ys);
                }
            }
        }

        long calls = 0, halfCalls = 0;
        double halfTime = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 256; i++) // the clock read out of the profile of small calls
            {
                call();
            }

            calls += 256;
            if (halfTime == 0 && clock.Elapsed.TotalSeconds >= seconds / 2)
            {
                (halfCalls, halfTime) = (calls, clock.Elapsed.TotalNanoseconds);
            }
        }

        double total = clock.Elapsed.TotalNanoseconds;
        long distance = (Address(y) - Address(x)) % 4096; // where loads may wait on stores (4K aliasing)
        Console.WriteLine($"{op} [{rows} x {n}]: {calls} calls, {(double)calls * x.Count / total:F2} elements/ns (all of the run, warm-up included), {(double)(calls - halfCalls) * x.Count / (total - halfTime):F2} in its second half; output - input = {(distance + 4096) % 4096} mod 4096 bytes (input at 0x{Address(x):x}, output at 0x{Address(y):x})");
        return 0;
    }

    private static long Address(ArraySegment<float> segment) =>
        System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(segment.Array!, segment.Offset);

    /// <summary>length floats starting the given environment variable's number of elements (0 if unset) past a 64-byte boundary.</summary>
    private static ArraySegment<float> At64BytesPlus(int length, string variable)
    {
        float[] array = GC.AllocateUninitializedArray<float>(length + 32, pinned: true);
        long address = System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        int skip = (int)((64 - (address % 64)) % 64 / sizeof(float)) + int.Parse(Environment.GetEnvironmentVariable(variable) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return new ArraySegment<float>(array, skip, length);
    }
}
