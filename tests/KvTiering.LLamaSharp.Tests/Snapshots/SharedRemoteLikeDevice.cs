using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A <see cref="RemoteLikeDevice"/> that is also a shared server (<see cref="IRemoteBlockSource"/>): like Garnet under
/// several stores, it keeps every value written, by key, after the store frees its slot, and serves it to a store that
/// no longer tracks it. Values that fail (<see cref="RemoteLikeDevice.Fail"/>) fail when fetched too.
/// </summary>
internal sealed class SharedRemoteLikeDevice(int slotCount, int slotBytes, int readWindow)
    : RemoteLikeDevice(slotCount, slotBytes, readWindow), IRemoteBlockSource
{
    private readonly ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)> _values = new();

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent)
    {
        parent = BlockKey.Empty;
        if (!_values.TryGetValue(key, out var value) || Failing(key) is not null)
        {
            return -1;
        }

        value.Payload.CopyTo(destination);
        parent = value.Parent;
        return value.Payload.Length;
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        int n = 0;
        while (n < keys.Length && _values.ContainsKey(keys[n]))
        {
            n++;
        }

        return n;
    }

    protected override void Written(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) =>
        _values[key] = (payload.ToArray(), parent);
}
