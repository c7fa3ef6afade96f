using System.Collections.Generic;
using System.Linq;
using FastSoftmax.Kernels;

namespace FastSoftmax.Tests;

/// <summary>Every width this process can run, so each test covers every kernel the hardware allows.</summary>
public static class Widths
{
    public static IEnumerable<object[]> All => Dispatch.Supported.Select(w => new object[] { (int)w });
}
