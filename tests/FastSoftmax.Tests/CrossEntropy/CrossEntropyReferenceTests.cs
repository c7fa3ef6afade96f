using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using FastSoftmax.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace FastSoftmax.Tests;

/// <summary>
/// Loss and gradient against mpmath (cross_entropy_reference.jsonl) on every width. Bounds: each
/// per-row loss and the reduced loss within 4 ulp; each gradient entry within 4 ulp of its value plus
/// 4 ulp of the larger of its two terms, f·K·p_j and f·w_j·u_j, whose difference it is.
/// </summary>
public class CrossEntropyReferenceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Widths => Dispatch.Supported.Select(w => new object[] { (int)w });

    [Theory]
    [MemberData(nameof(Widths))]
    public void Float_loss_and_gradient_match_the_reference(int width) => Check<float>((KernelWidth)width);

    [Theory]
    [MemberData(nameof(Widths))]
    public void Double_loss_and_gradient_match_the_reference(int width) => Check<double>((KernelWidth)width);

    private void Check<T>(KernelWidth width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var failures = new List<string>();
        long worstLoss = 0;
        double worstGradient = 0;
        int count = 0;
        foreach ((string name, CrossEntropyCall<T> call, T loss, T[] losses, T[] gradient) in Load<T>())
        {
            count++;
            (T actualLoss, _, T[] actualGradient) = call.Run(width);
            (_, T[] actualLosses, _) = call.Run(width, perRow: true);
            CheckValue(name, "loss", actualLoss, loss, 4, ref worstLoss, failures);
            for (int r = 0; r < losses.Length; r++)
            {
                CheckValue(name, $"losses[{r}]", actualLosses[r], losses[r], 4, ref worstLoss, failures);
            }

            for (int i = 0; i < gradient.Length; i++)
            {
                T e = gradient[i], a = actualGradient[i];
                if (T.IsNaN(e) || T.IsInfinity(e))
                {
                    if (!e.Equals(a))
                    {
                        failures.Add($"{name} gradient[{i}]: expected {e}, got {a}");
                    }

                    continue;
                }

                // The entry is f·K·p − f·w·u: cancellation leaves an error relative to the larger term.
                T term = T.Max(T.Abs(e), GradientTermBound(call, i));
                T tolerance = (T.CreateTruncating(4) * UlpOf(e)) + (T.CreateTruncating(4) * UlpOf(term));
                T error = T.Abs(a - e);
                worstGradient = Math.Max(worstGradient, double.CreateTruncating(error / UlpOf(term)));
                if (!(error <= tolerance))
                {
                    failures.Add($"{name} gradient[{i}]: expected {e:R}, got {a:R} (error {error:E3}, tolerance {tolerance:E3})");
                }
            }
        }

        output.WriteLine($"{typeof(T).Name} {width}: {count} cases; worst loss {worstLoss} ulp, worst gradient error {worstGradient:F2} ulp of the larger term");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(25)) + $"{Environment.NewLine}({failures.Count} failures)");
    }

    private static void CheckValue<T>(string name, string what, T actual, T expected, long bound, ref long worst, List<string> failures)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (T.IsNaN(expected) || T.IsInfinity(expected) || T.IsZero(expected))
        {
            if (!expected.Equals(actual) && !(T.IsZero(expected) && T.IsZero(actual)))
            {
                failures.Add($"{name} {what}: expected {expected}, got {actual}");
            }

            return;
        }

        long d = Ulp.Distance(actual, expected);
        worst = Math.Max(worst, d);
        if (d > bound)
        {
            failures.Add($"{name} {what}: expected {expected:R}, got {actual:R} ({d} ulp)");
        }
    }

    // An upper bound of f·max(K·p_j, w_j·u_j) ≤ f·max(K, w_j): f from the reduction, K = Σ w·u.
    private static T GradientTermBound<T>(CrossEntropyCall<T> call, int i)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int r = i / call.Classes, j = i % call.Classes;
        T w(int c) => call.Weights is null ? T.One : call.Weights[c];
        if (call.Labels is not null && call.Labels[r] == call.IgnoreIndex)
        {
            return T.Zero;
        }

        T k = T.Zero;
        for (int c = 0; c < call.Classes; c++)
        {
            k += w(c) * (call.Targets is null ? T.One : call.Targets[(r * call.Classes) + c] + T.One);
        }

        T denominator = T.Zero;
        for (int q = 0; q < call.Rows; q++)
        {
            denominator += call.Labels is null ? T.One : call.Labels[q] == call.IgnoreIndex ? T.Zero : w(call.Labels[q]);
        }

        T f = call.Reduction == Reduction.Sum || T.IsZero(denominator) ? T.One : T.One / denominator;
        return f * T.Max(k, w(j));
    }

    private static T UlpOf<T>(T v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        T.BitIncrement(T.Abs(v)) - T.Abs(v);

    private static IEnumerable<(string, CrossEntropyCall<T>, T, T[], T[])> Load<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        string type = typeof(T) == typeof(float) ? "f" : "d";
        foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Reference", "cross_entropy_reference.jsonl")))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement e = doc.RootElement;
            if (e.GetProperty("type").GetString() != type)
            {
                continue;
            }

            T[] Values(string name) => e.GetProperty(name).EnumerateArray().Select(v => Decode<T>(v.GetString()!)).ToArray();
            T[] weights = Values("weights");
            var call = new CrossEntropyCall<T>(
                Values("logits"),
                e.GetProperty("classes").GetInt32(),
                e.TryGetProperty("labels", out JsonElement labels) ? labels.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null,
                e.TryGetProperty("targets", out _) ? Values("targets") : null,
                weights.Length == 0 ? null : weights,
                e.GetProperty("ignore").GetInt32(),
                double.CreateTruncating(Decode<T>(e.GetProperty("smoothing").GetString()!)),
                e.GetProperty("reduction").GetString() == "sum" ? Reduction.Sum : Reduction.Mean);
            yield return (e.GetProperty("name").GetString()!, call, Decode<T>(e.GetProperty("loss").GetString()!), Values("losses"), Values("gradient"));
        }
    }

    private static T Decode<T>(string hex)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => ReferenceCase<T>.Decode(hex);
}
