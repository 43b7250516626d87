namespace KvTiering.Store;

/// <summary>
/// A tier's slots whose write failed for want of space, kept out of use until the device has gone a while without
/// such a failure. A file system that is full fails every write into a slot the flash file never wrote (a hole: the file is sparse), so
/// returning such a slot to the free stack hands it to the next block, which fails again, while the tier, far from
/// full, never evicts and never rewrites the slots it has. Set aside, the holes leave the free stack; once it is empty
/// the tier evicts as a full tier does and keeps serving from the slots the disk already gave it.
/// </summary>
/// <remarks>
/// Space may come back (another file was deleted), so a set-aside slot is not lost for good: after
/// <see cref="RetrySeconds"/> without a failed write one slot goes back as a probe, and after as long again without a
/// failure, the probe's write having landed, every other one does. A failed probe only sets that slot aside again,
/// so a disk that stays full costs one dropped block a minute, not one per hole. Only a failure for want of space
/// (<see cref="IsOutOfSpace"/>) says something about the slot; any other (a remote tier's lost connection, an I/O
/// error) leaves it in use, as before. Called under the store's lock.
/// </remarks>
internal sealed class SlotQuarantine
{
    /// <summary>How long the tier goes without a failed write before a set-aside slot is tried again.</summary>
    public const double RetrySeconds = 60;

    private readonly bool[] _failed;
    private readonly int[] _held;
    private int _count;
    private double _quietSince = double.NegativeInfinity;
    private bool _probed;

    public SlotQuarantine(int capacity)
    {
        _failed = new bool[capacity];
        _held = new int[capacity];
    }

    /// <summary>
    /// Whether a failed write failed for want of space: ENOSPC (28 on Linux and macOS) or EDQUOT (122, Linux), which
    /// .NET reports as the <see cref="Exception.HResult"/> of the OS's <see cref="IOException"/>, or Windows'
    /// ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL; looked for along the inner exceptions (a device wraps the OS's to
    /// name its file).
    /// </summary>
    public static bool IsOutOfSpace(Exception? failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Slots set aside now.</summary>
    public int Count => _count;

    /// <summary>A write into <paramref name="slot"/> failed at <paramref name="now"/>: the slot is set aside when it is returned.</summary>
    public void MarkFailed(int slot, double now)
    {
        _failed[slot] = true;
        _quietSince = now;
        _probed = false;
    }

    /// <summary>Keeps <paramref name="slot"/> out of the free stack if its write failed; false for any other slot.</summary>
    public bool TryHold(int slot)
    {
        if (!_failed[slot])
        {
            return false;
        }

        _failed[slot] = false;
        _held[_count++] = slot;
        return true;
    }

    /// <summary>
    /// Moves set-aside slots onto <paramref name="free"/> when the tier has gone <see cref="RetrySeconds"/> without a
    /// failed write: one probe first, the rest once the probe's write has gone as long without a failure.
    /// </summary>
    /// <returns>How many slots went back.</returns>
    public int Release(double now, int[] free, ref int freeTop)
    {
        if (_count == 0 || now - _quietSince < RetrySeconds)
        {
            return 0;
        }

        int n = _probed ? _count : 1;
        for (int i = 0; i < n; i++)
        {
            free[freeTop++] = _held[--_count];
        }

        _probed = true;
        _quietSince = now;
        return n;
    }

    /// <summary>Forgets every set-aside slot (recovery rebuilt the free stack from what the device holds).</summary>
    public void Clear()
    {
        Array.Clear(_failed);
        _count = 0;
        _probed = false;
        _quietSince = double.NegativeInfinity;
    }
}
