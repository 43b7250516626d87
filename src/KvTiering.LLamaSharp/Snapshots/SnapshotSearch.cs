using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// Where a restore looks for the snapshots a prompt shares: at each of the prompt's blocks, a manifest under the
/// block's key, or a waypoint (<see cref="SnapshotWaypoints"/>). The store's table is read first, deepest block first;
/// the blocks deeper than the deepest one found there are then asked of the store's shared tier as well, all their
/// manifest and waypoint keys in one query (<see cref="TieredKvStore.Holds"/>: one pipelined round trip on a Redis
/// tier, not one per block), so a server that never held the session (another server of a fleet, a restarted process
/// with an empty flash directory) finds the snapshot a server before it left in the shared tier. The pieces are read
/// (fetched and verified) by the loader afterwards. Not thread-safe: the loader's, serialized with saves.
/// </summary>
internal sealed class SnapshotSearch(TieredKvStore store, SnapshotStore snapshots)
{
    private bool[] _held = [];
    private BlockKey[] _asked = [];
    private int _sharedFrom; // blocks from here on were asked of the store and its shared tier together
    private int _blocks;

    /// <summary>
    /// Starts a search over the <paramref name="prompt"/>'s block keys: finds the deepest block the table holds a
    /// manifest or waypoint at, then asks about every deeper one at once (the shared tier answers for what the table
    /// lacks; a tier that is down holds nothing). Blocks up to the deepest local one are read from the table as the loop
    /// reaches them. The query is awaited: a restore does not block a thread for the round trip.
    /// </summary>
    public async ValueTask BeginAsync(ReadOnlyMemory<BlockKey> prompt, CancellationToken cancellationToken)
    {
        int deepestLocal = -1;
        for (int i = prompt.Length - 1; i >= 0 && deepestLocal < 0; i--)
        {
            BlockKey key = prompt.Span[i];
            if (snapshots.Contains(key) || snapshots.Waypoints.At(key, i, out _))
            {
                deepestLocal = i;
            }
        }

        _sharedFrom = deepestLocal + 1;
        _blocks = prompt.Length - _sharedFrom;
        if (_asked.Length < 2 * _blocks)
        {
            _asked = new BlockKey[2 * _blocks];
            _held = new bool[2 * _blocks];
        }

        // Block i's manifest at 2i, its waypoint at 2i + 1 (empty where no waypoint goes: never held, not asked).
        for (int b = 0; b < _blocks; b++)
        {
            int i = _sharedFrom + b;
            BlockKey key = prompt.Span[i];
            _asked[2 * b] = SnapshotKeys.Manifest(key);
            _asked[(2 * b) + 1] = snapshots.Waypoints.Marks(i) ? SnapshotKeys.Waypoint(key) : BlockKey.Empty;
        }

        if (_blocks > 0)
        {
            await store.HoldsAsync(_asked.AsMemory(0, 2 * _blocks), _held.AsMemory(0, 2 * _blocks), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Whether a snapshot's manifest is stored under block <paramref name="index"/>'s key <paramref name="key"/>.</summary>
    public bool Manifest(in BlockKey key, int index) =>
        index >= _sharedFrom ? _held[2 * (index - _sharedFrom)] : snapshots.Contains(key);

    /// <summary>Whether a waypoint is stored at block <paramref name="index"/>, whose key is <paramref name="key"/>.</summary>
    public bool Waypoint(in BlockKey key, int index, out BlockKey waypoint)
    {
        if (index < _sharedFrom)
        {
            return snapshots.Waypoints.At(key, index, out waypoint);
        }

        waypoint = _asked[(2 * (index - _sharedFrom)) + 1];
        return _held[(2 * (index - _sharedFrom)) + 1];
    }
}
