namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>What reading a snapshot's pieces back from the store found.</summary>
internal enum LoadResult
{
    /// <summary>Every piece was there and the payload checksum verified.</summary>
    Loaded,

    /// <summary>
    /// A piece was gone, its bytes not known to be bad: the manifest evicted or removed since it was seen, or a piece its
    /// device lost (a remote server that restarted empty). A miss, not corruption; a snapshot missing a chunk is removed
    /// all the same.
    /// </summary>
    Missing,

    /// <summary>
    /// A piece's bytes failed verification (the store's checksums, the manifest's own, the payload's XxHash3) or a
    /// chunk had the wrong length.
    /// </summary>
    Corrupt,

    /// <summary>
    /// A piece is resident but its device could not be reached just now (a remote tier timing out or backing off):
    /// nothing is known to be wrong with the snapshot, so it is kept for the next restore.
    /// </summary>
    Unreachable,
}
