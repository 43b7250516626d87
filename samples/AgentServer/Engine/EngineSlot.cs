using LLama;
using LLama.Native;

namespace AgentServer.Engine;

/// <summary>One llama.cpp sequence: a context of its own (so slots decode in parallel) and a reusable batch.</summary>
internal sealed class EngineSlot(int index, LLamaContext context) : IDisposable
{
    public int Index { get; } = index;

    public LLamaContext Context { get; } = context;

    public LLamaBatch Batch { get; } = new();

    public static LLamaSeqId Sequence => LLamaSeqId.Zero;

    public void Dispose() => Context.Dispose();
}
