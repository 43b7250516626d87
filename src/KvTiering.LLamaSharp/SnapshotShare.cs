using KvTiering.Store;

namespace KvTiering.LLamaSharp;

/// <summary>How far the copy of a saved snapshot to the shared tier got (<see cref="SnapshotSave.Share"/>).</summary>
/// <param name="Chunks">The snapshot's data chunks, shared first.</param>
/// <param name="ManifestShared">
/// Whether the manifest reached the shared tier: it is sent only once every chunk is there, so another server that
/// finds it finds the whole snapshot. False also when the share was cancelled or the store closed under it.
/// </param>
/// <param name="Waypoints">The waypoints leading to the snapshot, shared only after its manifest.</param>
public readonly record struct SnapshotShare(ShareResult Chunks, bool ManifestShared, ShareResult Waypoints)
{
    /// <summary>Whether every piece of the snapshot is on the shared tier: any server of the fleet can restore it.</summary>
    public bool Complete => ManifestShared && Chunks.Complete && Waypoints.Complete;
}
