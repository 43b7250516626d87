namespace KvTiering.LLamaSharp.Tests;

[Collection(TinyModelGroup.Name)]
public sealed class LlamaKvLayoutTests(TinyModelFixture model)
{
    [Fact]
    public void LayoutComesFromTheLoadedModel()
    {
        Blocks.KvLayout layout = LlamaKvLayout.FromModel(model.Weights, tokensPerBlock: 32);
        Assert.Equal(4, layout.Layers);
        Assert.Equal(2, layout.KvHeads);
        Assert.Equal(32, layout.HeadDim);
        Assert.Equal(2, layout.ElementBytes);
        Assert.Equal(32, layout.TokensPerBlock);
        Assert.StartsWith("kvtiering-synthetic-tiny|params=1410176|bytes=", layout.ModelId, StringComparison.Ordinal);
        Assert.Equal("custom", LlamaKvLayout.FromModel(model.Weights, modelId: "custom").ModelId);
    }

    [Fact]
    public void FromModelFileKeysByTheFilesBytes()
    {
        // Two files alike in GGUF name, parameter count and size (two fine-tunes of one base) must not share snapshots.
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-layout-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            byte[] bytes = File.ReadAllBytes(model.ModelPath);
            string copy = Path.Combine(directory, "copy.gguf");
            string tuned = Path.Combine(directory, "tuned.gguf");
            File.WriteAllBytes(copy, bytes);
            bytes[^1] ^= 1;
            File.WriteAllBytes(tuned, bytes);

            string plain = LlamaKvLayout.FromModel(model.Weights).ModelId;
            Blocks.KvLayout layout = LlamaKvLayout.FromModelFile(model.Weights, model.ModelPath, tokensPerBlock: 32);
            Assert.StartsWith(plain + "|xxh3=", layout.ModelId, StringComparison.Ordinal);
            Assert.Equal(32, layout.TokensPerBlock);
            Assert.Equal(layout.ModelId, LlamaKvLayout.FromModelFile(model.Weights, copy, tokensPerBlock: 32).ModelId);
            Assert.NotEqual(layout.ModelId, LlamaKvLayout.FromModelFile(model.Weights, tuned, tokensPerBlock: 32).ModelId);
            Assert.Throws<FileNotFoundException>(() => LlamaKvLayout.FromModelFile(model.Weights, Path.Combine(directory, "none.gguf")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void StateBytesPerTokenMatchTheLayout()
    {
        using LLama.LLamaContext context = model.CreateContext();
        LLama.Native.LLamaToken[] tokens = TinyModelFixture.Tokens(30, 100);
        LlamaPrefill.Prefill(context.NativeHandle, TinyModelFixture.Sequence, tokens, 0);
        long state = (long)context.NativeHandle.GetStateSize(TinyModelFixture.Sequence);
        // K and V rows per token, plus a few bytes of cell metadata and per-layer headers.
        Assert.InRange(state, 100 * model.Layout.BytesPerToken, (100 * model.Layout.BytesPerToken) + 4096);
    }
}
