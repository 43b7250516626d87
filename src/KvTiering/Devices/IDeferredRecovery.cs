namespace KvTiering.Devices;

/// <summary>
/// A persistent device whose open may leave blocks unverified (a time budget ran out) and that can verify them
/// afterwards, in the background, handing each one to the store as it is checked.
/// </summary>
/// <remarks>
/// The store keeps every deferred block's slot out of use until the device reports that block, so the device's reads of
/// those slots never race a write.
/// </remarks>
internal interface IDeferredRecovery
{
    /// <summary>
    /// Blocks whose headers verified at open but whose payloads were left unchecked, newest first; not in
    /// <see cref="IPersistentBlockDevice.Recover"/> and not readable until verified.
    /// </summary>
    IReadOnlyList<RecoveredBlock> Deferred { get; }

    /// <summary>
    /// Starts verifying <see cref="Deferred"/> in the background (once; later calls do nothing). For each block,
    /// <paramref name="onVerified"/> gets the block, whether it verified (and is now readable), and a token that is
    /// cancelled when the device is disposed: a callback that waits for anything must watch it, because
    /// <see cref="IDisposable.Dispose"/> waits for the callback.
    /// </summary>
    void VerifyDeferred(Action<RecoveredBlock, bool, CancellationToken> onVerified);
}
