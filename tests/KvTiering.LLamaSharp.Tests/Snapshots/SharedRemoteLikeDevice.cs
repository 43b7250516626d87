using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A <see cref="RemoteLikeDevice"/> that is also a shared server (<see cref="IRemoteBlockSource"/>): like Garnet under
/// several stores, it keeps every value written, by key, after the store frees its slot, and serves it to a store that
/// no longer tracks it. Values that fail (<see cref="RemoteLikeDevice.Fail"/>) fail when fetched too, with the same
/// cause; while the server is <see cref="RemoteLikeDevice.Down"/> every fetch is unreachable and prefix queries match nothing.
/// </summary>
internal sealed class SharedRemoteLikeDevice(int slotCount, int slotBytes, int readWindow)
    : RemoteLikeDevice(slotCount, slotBytes, readWindow), IRemoteBlockSource
{
    private readonly ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)> _values = new();

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        parent = BlockKey.Empty;
        failure = ReadFailure.Unknown;
        if (!_values.TryGetValue(key, out var value))
        {
            failure = Down ? ReadFailure.Unreachable : ReadFailure.Lost;
            return -1;
        }

        if (Failing(key) is { } cause)
        {
            failure = cause;
            return -1;
        }

        value.Payload.CopyTo(destination);
        parent = value.Parent;
        return value.Payload.Length;
    }

    /// <summary>The server drops <paramref name="key"/>'s value (expired, evicted).</summary>
    public void Forget(BlockKey key) => _values.TryRemove(key, out _);

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        int n = 0;
        while (!Down && n < keys.Length && _values.ContainsKey(keys[n]))
        {
            n++;
        }

        return n;
    }

    protected override void Written(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) =>
        _values[key] = (payload.ToArray(), parent);
}
