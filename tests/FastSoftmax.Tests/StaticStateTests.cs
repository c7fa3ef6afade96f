using System.Linq;
using System.Reflection;
using FastSoftmax.Kernels;
using Xunit;

namespace FastSoftmax.Tests;

/// <summary>
/// The kernels read no static readonly field of a class that may not be initialized when they are
/// compiled: code the JIT fully optimizes before a class is initialized (tiered compilation off) loads
/// such a field behind a class-initialization check, whose helper call made the JIT keep the exp loops'
/// registers on the stack (the 10-class cross-entropy ran at half speed). Vector constants are RVA
/// data; the dispatch's choices are read once a call outside the loops; the exp constants stay fields
/// (cheap to inline) and the dispatch initializes them before any kernel runs.
/// </summary>
public class StaticStateTests
{
    [Fact]
    public void Kernel_types_hold_no_static_readonly_fields_but_the_dispatch_choice_and_the_exp_constants()
    {
        string[] fields = typeof(Dispatch).Assembly.GetTypes()
            .Where(t => t.Namespace == "FastSoftmax.Kernels" && t != typeof(Dispatch) && t != typeof(ExpConstants<>))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => f.IsInitOnly)
            .Select(f => $"{f.DeclaringType!.Name}.{f.Name}")
            .ToArray();
        Assert.Empty(fields);
    }
}
