namespace KvTiering.Store;

/// <summary>What a put did.</summary>
public enum PutResult
{
    /// <summary>
    /// The block was stored. Into a write-behind tier (<see cref="TierOptions.WriteBehind"/>): staged, its write queued,
    /// on a device that was taking writes; a write that fails later (the device went down meanwhile) drops it, counted.
    /// </summary>
    Stored,

    /// <summary>The block was already resident; it counted as an access.</summary>
    AlreadyPresent,

    /// <summary>Every tier's policy declined the block, or every candidate victim was pinned.</summary>
    Rejected,

    /// <summary>
    /// The write failed (for example, the disk is full), or the tier it would land in could not take writes then (its
    /// device declares <see cref="Devices.IWriteAvailability"/>: a remote server down) and no other tier took it; the
    /// block was not stored.
    /// </summary>
    Dropped,
}
