using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A shared tier with a read window, for the read-window tests (not a shipped device): its slots are a
/// <see cref="WindowedDevice"/>'s (gated, counted), and it answers local misses (<see cref="IRemoteBlockSource"/>)
/// from blocks other stores put, counting each fetch, as the Redis device over a shared server does.
/// </summary>
internal sealed class SharedWindowedDevice(WindowedDevice slots, ConcurrentDictionary<BlockKey, byte[]> shared)
    : IConcurrentReads, IRemoteBlockSource
{
    private int _fetches;

    public int SlotCount => slots.SlotCount;

    public int SlotBytes => slots.SlotBytes;

    public bool StoresPayload => true;

    public int ReadWindow => slots.ReadWindow;

    /// <summary>Fetches of blocks this store's table does not index (<see cref="TryFetch"/>) so far.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken) =>
        slots.ReadAsync(slot, key, destination, cancellationToken);

    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        slots.WriteAsync(slot, key, parent, payload, cancellationToken);

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => slots.Write(slot, key, parent, payload);

    public int Read(int slot, in BlockKey key, Span<byte> destination) => slots.Read(slot, key, destination);

    public int PayloadLength(int slot) => slots.PayloadLength(slot);

    public void Free(int slot) => slots.Free(slot);

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        Interlocked.Increment(ref _fetches);
        parent = BlockKey.Empty;
        failure = ReadFailure.Lost;
        if (!shared.TryGetValue(key, out byte[]? bytes))
        {
            return -1;
        }

        failure = ReadFailure.Unknown;
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        int i = 0;
        while (i < keys.Length && shared.ContainsKey(keys[i]))
        {
            i++;
        }

        return i;
    }

    public void Dispose() => slots.Dispose();
}
