namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>What reading a snapshot's pieces back from the store found.</summary>
internal enum LoadResult
{
    /// <summary>Every piece was there and the payload checksum verified.</summary>
    Loaded,

    /// <summary>The manifest was gone (evicted, or removed by another caller).</summary>
    Missing,

    /// <summary>The manifest was unreadable, a chunk was missing or short, or the payload checksum failed.</summary>
    Corrupt,

    /// <summary>
    /// A piece is resident but its device could not be reached just now (a remote tier timing out or backing off):
    /// nothing is known to be wrong with the snapshot, so it is kept for the next restore.
    /// </summary>
    Unreachable,
}
