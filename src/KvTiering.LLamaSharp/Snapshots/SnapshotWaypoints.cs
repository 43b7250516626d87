using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// The waypoints of <see cref="SnapshotStore"/>'s snapshots: a pointer (<see cref="SnapshotWaypoint"/>) at every
/// <c>interval</c>-th inner block of a saved prefix, so a prompt that shares only a snapshot's beginning still finds
/// it. Written before the snapshot, so under pressure the store evicts them first; best effort throughout.
/// </summary>
internal sealed class SnapshotWaypoints(TieredKvStore store, int interval)
{
    /// <summary>Whether a waypoint is stored at block <paramref name="index"/> of a prompt, whose key is <paramref name="key"/>.</summary>
    public bool At(in BlockKey key, int index, out BlockKey waypoint)
    {
        waypoint = default;
        return interval > 0 && (index + 1) % interval == 0 && store.Contains(waypoint = SnapshotKeys.Waypoint(key));
    }

    /// <summary>
    /// The snapshot <paramref name="waypoint"/> points at, read through <paramref name="scratch"/> (room for any stored
    /// length); a waypoint that cannot be read is removed.
    /// </summary>
    public bool TryRead(in BlockKey waypoint, Span<byte> scratch, out BlockKey snapshot)
    {
        // TryGet needs room for whatever length is stored; a waypoint of any other size is corrupt anyway.
        if (store.TryGet(waypoint, scratch, out int length) && SnapshotWaypoint.TryRead(scratch[..length], out snapshot))
        {
            return true;
        }

        store.Remove(waypoint);
        snapshot = default;
        return false;
    }

    /// <summary>Points a waypoint at every <c>interval</c>-th inner block of <paramref name="keys"/>; best effort.</summary>
    public void Write(ReadOnlySpan<BlockKey> keys, in BlockKey snapshot, in BlockContext blockContext)
    {
        if (interval == 0)
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[SnapshotWaypoint.Size];
        SnapshotWaypoint.Write(bytes, snapshot);
        for (int j = interval - 1; j < keys.Length - 1; j += interval)
        {
            // Newest wins: the latest snapshot through a block is the likeliest to be resident and to go furthest.
            SnapshotStore.PutFresh(store, SnapshotKeys.Waypoint(keys[j]), BlockKey.Empty, bytes, blockContext);
        }
    }

    /// <summary>Removes the waypoints <see cref="Write"/> put along <paramref name="keys"/>.</summary>
    public void Remove(ReadOnlySpan<BlockKey> keys)
    {
        for (int j = interval - 1; interval > 0 && j < keys.Length - 1; j += interval)
        {
            store.Remove(SnapshotKeys.Waypoint(keys[j]));
        }
    }
}
