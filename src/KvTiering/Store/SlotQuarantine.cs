namespace KvTiering.Store;

/// <summary>
/// A tier's slots whose write failed for want of space, kept out of use until the device has gone a while without
/// such a failure. A file system that is full fails every write into a slot the flash file never wrote (a hole: the file is sparse), so
/// returning such a slot to the free stack hands it to the next block, which fails again, while the tier, far from
/// full, never evicts and never rewrites the slots it has. Set aside, the holes leave the free stack; once it is empty
/// the tier evicts as a full tier does and keeps serving from the slots the disk already gave it.
/// </summary>
/// <remarks>
/// Space may come back (another file was deleted, or whatever filled the disk let go), so a set-aside slot is not lost
/// for good, and the tier does not wait for a quiet spell to find out: a disk that fills every 30 s never gives one
/// (the soak, docs/reliability.md, kept 2,046 of 2,048 slots set aside for most of ten minutes under the old rule of a
/// minute without any failed write). Instead the tier probes on its own clock, whatever other writes do: once
/// <see cref="FirstProbeSeconds"/> after slots were first set aside, one slot goes back. A probe whose write lands
/// returns twice as many the next time the tier needs a slot (1, 2, 4, … so the slots come back in proportion to the
/// writes that landed, all of them within a dozen rounds); a probe whose write fails for want of space is set aside
/// again, the run starts over at one slot, and the wait before the next probe doubles, up to
/// <see cref="MaxProbeSeconds"/>. So a disk that stays full costs one dropped block per <see cref="MaxProbeSeconds"/>,
/// and a disk with room again has its slots back within that time. Only a failure for want of space
/// (<see cref="IsOutOfSpace"/>) says something about the slot; any other (a remote tier's lost connection, an I/O
/// error) leaves it in use, as before. Called under the store's lock.
/// </remarks>
internal sealed class SlotQuarantine
{
    /// <summary>The wait before the first probe of a run of set-aside slots, and after a probe whose write landed.</summary>
    public const double FirstProbeSeconds = 1;

    /// <summary>The longest wait between two probes (the back-off after failed probes stops doubling here).</summary>
    public const double MaxProbeSeconds = 30;

    private readonly bool[] _failed;
    private readonly int[] _probeRound; // per slot, the round it was handed out in as a probe (0: not one)
    private readonly int[] _held;
    private int _count;
    private int _round;
    private int _probes; // probes of the current round that have not reported
    private int _batch = 1;
    private bool _batchFailed;
    private double _wait = FirstProbeSeconds;
    private double _nextProbe = double.PositiveInfinity;

    public SlotQuarantine(int capacity)
    {
        _failed = new bool[capacity];
        _probeRound = new int[capacity];
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

    /// <summary>Whether slots handed out as probes have not reported their write yet (<see cref="Landed"/> has work).</summary>
    public bool Probing => _probes != 0;

    /// <summary>
    /// A write into <paramref name="slot"/> failed for want of space at <paramref name="now"/>: the slot is set aside
    /// when it is returned. Any such failure starts the run of returned slots over at one; a failed probe also doubles
    /// the wait before the next. Other failures do not move the next probe: a disk that keeps filling must not keep
    /// the tier from ever asking again.
    /// </summary>
    public void MarkFailed(int slot, double now)
    {
        _failed[slot] = true;
        _batch = 1;
        if (_probeRound[slot] == _round && _round != 0)
        {
            _probeRound[slot] = 0;
            _probes--;
            _batchFailed = true;
            _wait = Math.Min(_wait * 2, MaxProbeSeconds);
            _nextProbe = now + _wait;
        }
        else if (_count == 0 && _probes == 0)
        {
            _nextProbe = now + _wait; // a new run of set-aside slots: the first probe comes after the current wait
        }
    }

    /// <summary>
    /// A write into <paramref name="slot"/> landed at <paramref name="now"/>. When the slot was a probe and the last of
    /// its round to land with none failed, the disk has room: the next round returns twice as many, at once.
    /// </summary>
    public void Landed(int slot, double now)
    {
        if (_probeRound[slot] != _round || _round == 0)
        {
            return;
        }

        _probeRound[slot] = 0;
        if (--_probes == 0 && !_batchFailed)
        {
            _wait = FirstProbeSeconds;
            _batch = Math.Min(_batch * 2, _held.Length);
            _nextProbe = now;
        }
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
    /// Moves the next round of set-aside slots onto <paramref name="free"/> as probes when its time has come (see the
    /// remarks). A round whose writes never report (a slot taken and given back unwritten) does not stop the next: it
    /// comes after the current wait anyway.
    /// </summary>
    /// <returns>How many slots went back.</returns>
    public int Release(double now, int[] free, ref int freeTop)
    {
        if (_count == 0 || now < _nextProbe)
        {
            return 0;
        }

        int n = Math.Min(_batch, _count);
        _round++;
        _probes = n; // an earlier round's probes that never reported are forgotten
        for (int i = 0; i < n; i++)
        {
            int slot = _held[--_count];
            _probeRound[slot] = _round;
            free[freeTop++] = slot;
        }

        _batchFailed = false;
        _nextProbe = now + _wait;
        return n;
    }

    /// <summary>Forgets every set-aside slot (recovery rebuilt the free stack from what the device holds).</summary>
    public void Clear()
    {
        Array.Clear(_failed);
        Array.Clear(_probeRound);
        _count = 0;
        _probes = 0;
        _batch = 1;
        _batchFailed = false;
        _wait = FirstProbeSeconds;
        _nextProbe = double.PositiveInfinity;
    }
}
