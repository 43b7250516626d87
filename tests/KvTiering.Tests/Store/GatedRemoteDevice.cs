using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Store;

/// <summary>
/// A shared tier whose fetches and prefix queries wait at a gate the test controls, as a slow Redis server's round
/// trips do (not a shipped device). Its slots are an in-memory map; the shared blocks a dictionary other stores would
/// fill. <see cref="TryFetchAsync"/> awaits the gate (holding no thread), <see cref="TryFetch"/> blocks on it.
/// </summary>
internal sealed class GatedRemoteDevice(int slotCount, int slotBytes, ConcurrentDictionary<BlockKey, byte[]> shared)
    : IBlockDevice, IRemoteBlockSource
{
    private readonly byte[]?[] _slots = new byte[]?[slotCount];
    private readonly ManualResetEventSlim _gate = new(true);
    private volatile TaskCompletionSource _opened = Opened();
    private int _waiting;
    private int _fetches;
    private int _queries;

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    /// <summary>Fetches and queries held at the closed gate right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public int Fetches => Volatile.Read(ref _fetches);

    public int Queries => Volatile.Read(ref _queries);

    /// <summary>Makes every fetch fail (-1, <see cref="ReadFailure.Unreachable"/>: unavailable) while set.</summary>
    public volatile bool Failing;

    /// <summary>Holds every later fetch and query at the gate until <see cref="Open"/>.</summary>
    public void Close()
    {
        _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate.Reset();
    }

    public void Open()
    {
        _gate.Set();
        _opened.TrySetResult();
    }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => _slots[slot] = payload.ToArray();

    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        byte[]? bytes = _slots[slot];
        if (bytes is null)
        {
            return -1;
        }

        bytes.CopyTo(destination);
        return bytes.Length;
    }

    public int PayloadLength(int slot) => _slots[slot]?.Length ?? 0;

    public void Free(int slot) => _slots[slot] = null;

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        Interlocked.Increment(ref _fetches);
        Interlocked.Increment(ref _waiting);
        _gate.Wait();
        Interlocked.Decrement(ref _waiting);
        return Fetched(key, destination, out parent, out failure);
    }

    public async ValueTask<(int Length, BlockKey Parent, ReadFailure Failure)> TryFetchAsync(BlockKey key, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        Interlocked.Increment(ref _waiting);
        try
        {
            await _opened.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        int length = Fetched(key, destination.Span, out BlockKey parent, out ReadFailure failure);
        return (length, parent, failure);
    }

    /// <summary>An awaited which-keys query: waits at the gate holding no thread (the synchronous one is the interface's default).</summary>
    public async ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        Interlocked.Increment(ref _waiting);
        try
        {
            await _opened.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held.Span[i] = shared.ContainsKey(keys.Span[i]);
            count += held.Span[i] ? 1 : 0;
        }

        return count;
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        Interlocked.Increment(ref _queries);
        Interlocked.Increment(ref _waiting);
        _gate.Wait();
        Interlocked.Decrement(ref _waiting);
        int i = 0;
        while (i < keys.Length && shared.ContainsKey(keys[i]))
        {
            i++;
        }

        return i;
    }

    public void Dispose()
    {
    }

    private int Fetched(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        parent = BlockKey.Empty;
        failure = Failing ? ReadFailure.Unreachable : ReadFailure.Lost;
        if (Failing || !shared.TryGetValue(key, out byte[]? bytes))
        {
            return -1;
        }

        failure = ReadFailure.Unknown;
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    private static TaskCompletionSource Opened()
    {
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        opened.SetResult();
        return opened;
    }
}
