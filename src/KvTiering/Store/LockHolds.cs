namespace KvTiering.Store;

/// <summary>
/// Who holds the store's lock, and for how long: when <see cref="Recorder"/> is set (off by default; the contention
/// program sets it), every <see cref="WriteScope"/> records, per call site and thread, the time it waited for the lock
/// and the time it held it. Process-wide, so a diagnostic run sees every store; a store pays one static read per lock
/// hold while it is off.
/// </summary>
internal static class LockHolds
{
    private static volatile LockHoldRecorder? s_recorder;

    /// <summary>Where holds are recorded; null (the default) records nothing.</summary>
    public static LockHoldRecorder? Recorder
    {
        get => s_recorder;
        set => s_recorder = value;
    }
}
