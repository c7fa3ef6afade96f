using Xunit;

namespace FastSoftmax.Tests;

/// <summary>The README's usage example, line for line, with what its comments claim.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_usage_example_runs_and_its_comments_hold()
    {
        float[] logits = [1000f, 0f, -5f];
        float[] p = new float[3];
        Softmax.Forward(logits, p);
        Assert.Equal([1f, 0f, 0f], p);

        float[] batch = new float[4 * 10];
        Softmax.Forward(batch, batch, rowLength: 10);
        Assert.All(batch, v => Assert.Equal(0.1f, v, 7));
        LogSoftmax.Forward(logits, p);
        Assert.Equal(0f, p[0]);
        float lse = LogSumExp.Compute(logits);
        Assert.Equal(1000f, lse);
        Softmax.Forward(logits, p, rowLength: 3, scale: 1 / 0.7f);
        Assert.Equal(1f, p[0]);

        float[] tokenLogits = new float[64 * 32_000];
        float[] tokenProbabilities = new float[tokenLogits.Length];
        Softmax.Forward(tokenLogits, tokenProbabilities, rowLength: 32_000, maxDegreeOfParallelism: -1);
        Assert.All(tokenProbabilities, v => Assert.Equal(1f / 32_000, v));

        int[] labels = [3, 0, 9, 1];
        float[] grad = new float[batch.Length];
        float loss = CrossEntropy.LossAndGradient(batch, labels, grad, classes: 10, labelSmoothing: 0.1f);
        Assert.Equal(System.MathF.Log(10), loss, 5);
    }
}
