using AgentServer.Engine;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// Two GGUFs alike in name, parameter count and size (two fine-tunes of one base) get different key namespaces, so a
/// flash directory shared between them never restores one model's KV state into the other; the same bytes get the same
/// one, so a restart still finds its snapshots.
/// </summary>
public sealed class ModelFingerprintTests
{
    [Fact]
    public void Same_size_different_bytes_get_different_ids_and_the_same_bytes_the_same_id()
    {
        using var dir = new TempDirectory();
        byte[] weights = new byte[3 * 1024 * 1024 + 17]; // more than one read chunk, not a multiple of it
        new Random(7).NextBytes(weights);
        string a = Path.Combine(dir.Path, "a.gguf");
        string copy = Path.Combine(dir.Path, "copy.gguf");
        string tuned = Path.Combine(dir.Path, "tuned.gguf");
        File.WriteAllBytes(a, weights);
        File.WriteAllBytes(copy, weights);
        weights[^1] ^= 1; // one bit in the last chunk: a fine-tune alike in name, parameters and size
        File.WriteAllBytes(tuned, weights);

        const string defaultId = "llama|params=89000000|bytes=3145745";
        string idA = ModelFingerprint.Of(a, defaultId);

        Assert.StartsWith(defaultId + "|xxh3=", idA);
        Assert.Equal(idA, ModelFingerprint.Of(copy, defaultId));
        Assert.NotEqual(idA, ModelFingerprint.Of(tuned, defaultId));
    }
}
