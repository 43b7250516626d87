using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Tests;

[Collection(TinyModelGroup.Name)]
public sealed class LlamaPrefillTests(TinyModelFixture model)
{
    [Fact]
    public void ACancelledPrefillDecodesNothingMoreAndKeepsWhatTheSequenceHeld()
    {
        using LLamaContext context = model.CreateContext();
        LLamaToken[] tokens = TinyModelFixture.Tokens(30, 60);
        LlamaPrefill.Prefill(context.NativeHandle, TinyModelFixture.Sequence, tokens.AsSpan(0, 30), 0);

        using var left = new CancellationTokenSource();
        left.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            LlamaPrefill.Prefill(context.NativeHandle, TinyModelFixture.Sequence, tokens.AsSpan(30), 30, cancellationToken: left.Token));

        Assert.Equal(29, context.NativeHandle.MemorySequenceMaxPosition(TinyModelFixture.Sequence).Value);
    }

    [Fact]
    public void AnUncancelledTokenChangesNothing()
    {
        using LLamaContext context = model.CreateContext();
        LLamaToken[] tokens = TinyModelFixture.Tokens(31, 90);
        float[] plain = LlamaPrefill.Prefill(context.NativeHandle, TinyModelFixture.Sequence, tokens, 0).ToArray();
        context.NativeHandle.MemorySequenceRemove(TinyModelFixture.Sequence, -1, -1);

        using var open = new CancellationTokenSource();
        float[] withToken = LlamaPrefill.Prefill(context.NativeHandle, TinyModelFixture.Sequence, tokens, 0, cancellationToken: open.Token).ToArray();

        Assert.Equal(plain, withToken);
        Assert.Equal(89, context.NativeHandle.MemorySequenceMaxPosition(TinyModelFixture.Sequence).Value);
    }
}
