using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// The waypoints of <see cref="SnapshotStore"/>'s snapshots: a pointer (<see cref="SnapshotWaypoint"/>) at every
/// <c>interval</c>-th inner block of a saved prefix, so a prompt that shares only a snapshot's beginning still finds
/// it. New ones are written before the snapshot, so under pressure the store evicts them first; ones already stored are
/// repointed only once the snapshot is published, so a failed save leaves them as they were. Best effort throughout.
/// </summary>
internal sealed class SnapshotWaypoints(TieredKvStore store, int interval)
{
    private bool[] _added = []; // which of the waypoints of the save in progress AddMissing put (saves are serialized)

    /// <summary>Whether a waypoint is stored at block <paramref name="index"/> of a prompt, whose key is <paramref name="key"/>.</summary>
    public bool At(in BlockKey key, int index, out BlockKey waypoint)
    {
        waypoint = default;
        return Marks(index) && store.Contains(waypoint = SnapshotKeys.Waypoint(key));
    }

    /// <summary>Whether a prompt's block <paramref name="index"/> is one a waypoint goes at (every <c>interval</c>-th).</summary>
    public bool Marks(int index) => interval > 0 && (index + 1) % interval == 0;

    /// <summary>
    /// The snapshot <paramref name="waypoint"/> points at, read through <paramref name="scratch"/> (room for any stored
    /// length); a waypoint that cannot be read is removed, unless its device could not be reached just now (a shared
    /// tier that is down): it is kept, as the snapshot it leads to is, for when the device answers.
    /// </summary>
    public bool TryRead(in BlockKey waypoint, Span<byte> scratch, out BlockKey snapshot)
    {
        // TryGet needs room for whatever length is stored; a waypoint of any other size is corrupt anyway.
        bool read = store.TryGet(waypoint, scratch, out int length, out _, out BlockMiss miss);
        if (read && SnapshotWaypoint.TryRead(scratch[..length], out snapshot))
        {
            return true;
        }

        if (!read && miss == BlockMiss.Unreachable)
        {
            snapshot = default;
            return false;
        }

        store.Remove(waypoint);
        snapshot = default;
        return false;
    }

    /// <summary>
    /// Before a save: points a waypoint at every <c>interval</c>-th inner block of <paramref name="keys"/> that has none
    /// yet, and remembers which (for <see cref="RemoveAdded"/>). Waypoints already stored, which earlier snapshots
    /// (often a shared system prompt's) are reached through, are left alone until the snapshot is published
    /// (<see cref="Repoint"/>), so a save that fails takes nothing that was stored before it. Best effort.
    /// </summary>
    public void AddMissing(ReadOnlySpan<BlockKey> keys, in BlockKey snapshot, in BlockContext blockContext)
    {
        int count = Count(keys);
        if (_added.Length < count)
        {
            _added = new bool[Math.Max(count, _added.Length * 2)];
        }

        Span<byte> bytes = stackalloc byte[SnapshotWaypoint.Size];
        SnapshotWaypoint.Write(bytes, snapshot);
        for (int w = 0; w < count; w++)
        {
            BlockKey waypoint = SnapshotKeys.Waypoint(keys[At(w)]);
            _added[w] = !store.Contains(waypoint);
            if (_added[w])
            {
                SnapshotStore.PutFresh(store, waypoint, BlockKey.Empty, bytes, blockContext);
            }
        }
    }

    /// <summary>
    /// After the snapshot is published: points the waypoints <see cref="AddMissing"/> left alone at it too. Newest
    /// wins: the latest snapshot through a block is the likeliest to be resident and to go furthest.
    /// </summary>
    public void Repoint(ReadOnlySpan<BlockKey> keys, in BlockKey snapshot, in BlockContext blockContext)
    {
        Span<byte> bytes = stackalloc byte[SnapshotWaypoint.Size];
        SnapshotWaypoint.Write(bytes, snapshot);
        for (int w = 0; w < Count(keys); w++)
        {
            if (!_added[w])
            {
                SnapshotStore.PutFresh(store, SnapshotKeys.Waypoint(keys[At(w)]), BlockKey.Empty, bytes, blockContext);
            }
        }
    }

    /// <summary>After a failed save: removes the waypoints <see cref="AddMissing"/> added, and only those.</summary>
    public void RemoveAdded(ReadOnlySpan<BlockKey> keys)
    {
        for (int w = 0; w < Count(keys); w++)
        {
            if (_added[w])
            {
                store.Remove(SnapshotKeys.Waypoint(keys[At(w)]));
            }
        }
    }

    /// <summary>The keys of the waypoints a save of <paramref name="keys"/> points at its snapshot (to share them after it).</summary>
    public BlockKey[] KeysOf(ReadOnlySpan<BlockKey> keys)
    {
        var waypoints = new BlockKey[Count(keys)];
        for (int w = 0; w < waypoints.Length; w++)
        {
            waypoints[w] = SnapshotKeys.Waypoint(keys[At(w)]);
        }

        return waypoints;
    }

    /// <summary>How many waypoints a prefix of <paramref name="keys"/>' blocks has: one per interval, its last block excluded.</summary>
    private int Count(ReadOnlySpan<BlockKey> keys) => interval == 0 ? 0 : (keys.Length - 1) / interval;

    /// <summary>The block index of waypoint <paramref name="w"/>.</summary>
    private int At(int w) => ((w + 1) * interval) - 1;
}
