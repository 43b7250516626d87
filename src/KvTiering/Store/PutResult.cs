namespace KvTiering.Store;

/// <summary>What a put did.</summary>
public enum PutResult
{
    /// <summary>The block was stored.</summary>
    Stored,

    /// <summary>The block was already resident; it counted as an access.</summary>
    AlreadyPresent,

    /// <summary>Every tier's policy declined the block, or every candidate victim was pinned.</summary>
    Rejected,

    /// <summary>The write failed (for example, the disk is full); the block was not stored.</summary>
    Dropped,
}
