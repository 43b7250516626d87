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
