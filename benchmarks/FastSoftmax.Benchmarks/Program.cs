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
}
