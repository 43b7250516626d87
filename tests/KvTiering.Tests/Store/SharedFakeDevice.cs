using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Store;

/// <summary>
/// A shared tier for store tests: every device made over the same dictionary sees every block any of them wrote, as
/// stores sharing one Redis server would.
/// </summary>
internal sealed class SharedFakeDevice(Dictionary<BlockKey, (BlockKey Parent, byte[] Bytes)> shared, int slotCount, int slotBytes)
    : IBlockDevice, IRemoteBlockSource, IWriteAvailability
{
    private readonly BlockKey[] _keys = new BlockKey[slotCount];

    public int SlotCount => slotCount;

    public int SlotBytes => slotBytes;

    public bool StoresPayload => true;

    public int Fetches { get; private set; }

    public int PrefixQueries { get; private set; }

    public int HoldsQueries { get; private set; }

    /// <summary>The keys the last <see cref="Holds"/> asked about.</summary>
    public BlockKey[] LastAsked { get; private set; } = [];

    /// <summary>
    /// While set, every fetch misses with this cause (<see cref="ReadFailure.Unreachable"/>: a server that is down;
    /// <see cref="ReadFailure.Corrupt"/>: a value that failed verification) and prefix and which-keys queries match nothing.
    /// </summary>
    public ReadFailure? FailingWith { get; set; }

    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        shared[key] = (parent, payload.ToArray());
        _keys[slot] = key;
    }

    public int Read(int slot, in BlockKey key, Span<byte> destination) =>
        _keys[slot].Equals(key) ? TryFetch(key, destination, out _, out _) : -1;

    public int PayloadLength(int slot) => shared.TryGetValue(_keys[slot], out var block) ? block.Bytes.Length : 0;

    public void Free(int slot) => _keys[slot] = BlockKey.Empty;

    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure)
    {
        Fetches++;
        parent = BlockKey.Empty;
        failure = FailingWith ?? ReadFailure.Lost;
        if (FailingWith is not null || !shared.TryGetValue(key, out var block))
        {
            return -1;
        }

        failure = ReadFailure.Unknown;
        block.Bytes.CopyTo(destination);
        parent = block.Parent;
        return block.Bytes.Length;
    }

    public int MatchPrefix(ReadOnlySpan<BlockKey> keys)
    {
        PrefixQueries++;
        int i = 0;
        while (FailingWith is null && i < keys.Length && shared.ContainsKey(keys[i]))
        {
            i++;
        }

        return i;
    }

    public int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        HoldsQueries++;
        LastAsked = keys.ToArray();
        int count = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held[i] = FailingWith is null && shared.ContainsKey(keys[i]);
            count += held[i] ? 1 : 0;
        }

        return count;
    }

    /// <summary>Blocks copied by <see cref="ShareAsync"/>, in the order they were sent.</summary>
    public List<BlockKey> SharedCopies { get; } = [];

    /// <summary>While false the tier cannot take a write (<see cref="IWriteAvailability"/>), and a copy sent anyway fails.</summary>
    public bool Writable { get; set; } = true;

    public bool CanWriteNow => Writable;

    public bool CanShare => true;

    public ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!Writable)
        {
            return ValueTask.FromException(new IOException("down"));
        }

        SharedCopies.Add(key);
        shared[key] = (parent, payload.ToArray());
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }
}
