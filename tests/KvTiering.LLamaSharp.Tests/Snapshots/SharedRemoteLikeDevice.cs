using System.Collections.Concurrent;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.LLamaSharp.Tests.Snapshots;

/// <summary>
/// A <see cref="RemoteLikeDevice"/> that is also a shared server (<see cref="IRemoteBlockSource"/>): like Garnet under
/// several stores, it keeps every value written, by key, after the store frees its slot, and serves it to a store that
/// no longer tracks it. Values that fail (<see cref="RemoteLikeDevice.Fail"/>) fail when fetched too, with the same
/// cause; while the server is <see cref="RemoteLikeDevice.Down"/> every fetch is unreachable and queries match nothing.
/// Devices built over one <c>server</c> are several stores' views of one shared server (a fleet on one Garnet).
/// </summary>
internal sealed class SharedRemoteLikeDevice(int slotCount, int slotBytes, int readWindow,
    ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)>? server = null)
    : RemoteLikeDevice(slotCount, slotBytes, readWindow), IRemoteBlockSource
{
    private readonly ConcurrentDictionary<BlockKey, (byte[] Payload, BlockKey Parent)> _values = server ?? new();
    private int _holdsQueries;
    private int _prefixQueries;
    private int _holdsWaiting;

    /// <summary>Which-keys queries (<see cref="Holds"/>) answered: one round trip each on a real server.</summary>
    public int HoldsQueries => Volatile.Read(ref _holdsQueries);

    /// <summary>Prefix queries (<see cref="MatchPrefix"/>) answered.</summary>
    public int PrefixQueries => Volatile.Read(ref _prefixQueries);

    /// <summary>Whether the server holds a value under <paramref name="key"/> (whoever wrote it).</summary>
    public bool ServerHas(BlockKey key) => _values.ContainsKey(key);

    /// <summary>Plants <paramref name="payload"/> under <paramref name="key"/> on the server, as another writer (or a forger) could.</summary>
    public void Plant(BlockKey key, byte[] payload) => _values[key] = (payload, BlockKey.Empty);

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

    public int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        Interlocked.Increment(ref _holdsQueries);
        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held[i] = !Down && _values.ContainsKey(keys[i]);
            count += held[i] ? 1 : 0;
        }

        return count;
    }

    /// <summary>While set, an awaited which-keys query waits for this task (a slow server's round trip), holding no thread.</summary>
    public Task? HoldsGate { get; set; }

    /// <summary>Which-keys queries waiting at <see cref="HoldsGate"/> right now.</summary>
    public int HoldsWaiting => Volatile.Read(ref _holdsWaiting);

    public async ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken)
    {
        if (HoldsGate is { } gate)
        {
            Interlocked.Increment(ref _holdsWaiting);
            try
            {
                await gate.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _holdsWaiting);
            }
        }

        return Holds(keys.Span, held.Span);
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        Interlocked.Increment(ref _prefixQueries);
        int n = 0;
        while (!Down && n < keys.Length && _values.ContainsKey(keys[n]))
        {
            n++;
        }

        return n;
    }

    /// <summary>Whether the server takes copies (<see cref="ShareAsync"/>): a fleet that shares its snapshots when saved.</summary>
    public bool CanShare { get; init; }

    /// <summary>Keys copied by <see cref="ShareAsync"/>, in the order the server took them.</summary>
    public ConcurrentQueue<BlockKey> Shared { get; } = new();

    /// <summary>Copies of these keys fail (<see cref="IOException"/>), as a write the server refused.</summary>
    public ConcurrentDictionary<BlockKey, bool> RefusedShares { get; } = new();

    public ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (Down || RefusedShares.ContainsKey(key))
        {
            return ValueTask.FromException(new IOException($"the server refused {key}"));
        }

        _values[key] = (payload.ToArray(), parent);
        Shared.Enqueue(key);
        return ValueTask.CompletedTask;
    }

    protected override void Written(in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) =>
        _values[key] = (payload.ToArray(), parent);
}
