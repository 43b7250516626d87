using System.Buffers.Binary;

namespace KvTiering.LLamaSharp.Tests.Gguf;

public sealed class SyntheticLlamaModelTests
{
    [Fact]
    public void PresetsHaveTheAdvertisedSizes()
    {
        Assert.InRange(SyntheticLlamaModel.Tiny.ParameterCount, 1_300_000, 1_500_000);
        Assert.InRange(SyntheticLlamaModel.Sample.ParameterCount, 85_000_000, 95_000_000);
        Assert.Equal(64, SyntheticLlamaModel.Sample.HeadDim);
    }

    [Fact]
    public async Task ConcurrentCallersAllSeeTheWholeFile()
    {
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-gguf-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = SyntheticLlamaModel.Tiny with { Layers = 1, VocabularySize = 300 };
            byte[] expected = File.ReadAllBytes(model.EnsureGguf(Path.Combine(directory, "reference")));
            string shared = Path.Combine(directory, "shared");
            using var start = new Barrier(4);
            var readers = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return File.ReadAllBytes(model.EnsureGguf(shared));
            }, TaskCreationOptions.LongRunning)).ToArray();

            // Each caller reads right after its own call returns: a caller that found another's half-written file
            // would read fewer bytes than the whole model.
            foreach (var reader in readers)
            {
                Assert.Equal(expected, await reader);
            }

            Assert.Single(Directory.GetFiles(shared));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WritesAVersion3GgufWhoseSizeMatchesItsTensors()
    {
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-gguf-" + Guid.NewGuid().ToString("N"));
        try
        {
            var model = SyntheticLlamaModel.Tiny with { Layers = 1, VocabularySize = 300 };
            string path = model.EnsureGguf(directory);
            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
            Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
            Assert.Equal(12ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8))); // 9 per layer + 3
            // F32 everywhere: four bytes a parameter, plus the header and vocabulary.
            Assert.InRange(bytes.Length - (model.ParameterCount * 4), 1, 64 * 1024);

            DateTime written = File.GetLastWriteTimeUtc(path);
            Assert.Equal(path, model.EnsureGguf(directory));
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
            Assert.NotEqual(path, (model with { Seed = 7 }).EnsureGguf(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void HalfPrecisionHalvesTheMatrices()
    {
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-gguf-" + Guid.NewGuid().ToString("N"));
        try
        {
            var f32 = SyntheticLlamaModel.Tiny with { Layers = 1, VocabularySize = 300 };
            long full = new FileInfo(f32.EnsureGguf(directory)).Length;
            long half = new FileInfo((f32 with { HalfPrecisionMatrices = true }).EnsureGguf(directory)).Length;
            long norms = 3L * f32.EmbeddingLength; // stay F32
            Assert.Equal((f32.ParameterCount - norms) * 2, full - half, (f32.ParameterCount - norms) * 2 / 50.0);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void InvalidShapesAreRejectedNamingTheValue()
    {
        string path = Path.Combine(Path.GetTempPath(), "never.gguf");
        var vocab = Assert.Throws<ArgumentOutOfRangeException>(() => (SyntheticLlamaModel.Tiny with { VocabularySize = 100 }).WriteGguf(path));
        Assert.Equal("VocabularySize", vocab.ParamName);
        Assert.Contains("100", vocab.Message, StringComparison.Ordinal);
        var heads = Assert.Throws<ArgumentException>(() => (SyntheticLlamaModel.Tiny with { HeadCount = 3 }).WriteGguf(path));
        Assert.Equal("HeadCount", heads.ParamName);
        var kv = Assert.Throws<ArgumentException>(() => (SyntheticLlamaModel.Tiny with { KvHeadCount = 3 }).WriteGguf(path));
        Assert.Equal("KvHeadCount", kv.ParamName);
        Assert.False(File.Exists(path));
    }
}
