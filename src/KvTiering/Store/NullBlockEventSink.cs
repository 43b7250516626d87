using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>The sink of a store nobody listens to: reports go nowhere.</summary>
internal sealed class NullBlockEventSink : IBlockEventSink
{
    public static NullBlockEventSink Instance { get; } = new();

    private NullBlockEventSink()
    {
    }

    public void OnStored(in BlockKey key, in BlockKey parent, int tier)
    {
    }

    public void OnRemoved(in BlockKey key, int tier)
    {
    }

    public void OnCleared()
    {
    }
}
