using KvTiering.Blocks;

namespace KvTiering.Placement;

/// <summary>
/// The store's record of where every block went and why: each admit, bypass, reject, promote, demote, evict, drop,
/// remove and load-vs-recompute decision, in a bounded ring of the most recent <see cref="Capacity"/> entries.
/// Set it on <c>KvStoreOptions.Ledger</c>; a store without one pays one null check per movement.
/// </summary>
/// <remarks>
/// A ledger serves one store. The store records under its own lock and the ledger's readers take the same lock, so a
/// snapshot is consistent with the statistics read beside it. Exported as JSON lines (docs/placement.md).
/// </remarks>
public sealed class PlacementLedger
{
    /// <summary>Default ring size: 65,536 entries (about 4 MiB).</summary>
    public const int DefaultCapacity = 65_536;

    private readonly LedgerEntry[] _ring;
    private Lock _sync = new();
    private string[] _tierNames = [];
    private long _total;
    private long _droppedBefore; // entries a file's writer had already dropped
    private bool _attached;

    /// <summary>Creates an empty ledger that keeps the latest <paramref name="capacity"/> entries.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public PlacementLedger(int capacity = DefaultCapacity)
    {
        if (capacity < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(capacity), capacity, $"Ledger capacity {capacity} must be at least one entry.");
        }

        _ring = new LedgerEntry[capacity];
    }

    /// <summary>The most entries the ring keeps.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Entries recorded since the ledger was created (kept or dropped).</summary>
    public long TotalRecorded
    {
        get
        {
            lock (_sync)
            {
                return _droppedBefore + _total;
            }
        }
    }

    /// <summary>Entries the ring holds now.</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                return (int)Math.Min(_total, _ring.Length);
            }
        }
    }

    /// <summary>Older entries the ring has overwritten.</summary>
    public long Dropped
    {
        get
        {
            lock (_sync)
            {
                return _droppedBefore + Math.Max(0, _total - _ring.Length);
            }
        }
    }

    /// <summary>The names of the store's tiers by index (empty until a store attaches, or as read from a file).</summary>
    public IReadOnlyList<string> TierNames => _tierNames;

    /// <summary>Every entry the ring holds, oldest first.</summary>
    public IReadOnlyList<LedgerEntry> Snapshot() => Where(static (in LedgerEntry _) => true);

    /// <summary>The entries about <paramref name="key"/>, oldest first.</summary>
    public IReadOnlyList<LedgerEntry> ForBlock(in BlockKey key)
    {
        BlockKey k = key;
        return Where((in LedgerEntry e) => e.Key.Equals(k));
    }

    /// <summary>The entries about blocks of <paramref name="session"/>, oldest first.</summary>
    public IReadOnlyList<LedgerEntry> ForSession(long session) => Where((in LedgerEntry e) => e.Session == session);

    /// <summary>
    /// What the ledger alone says about <paramref name="key"/>: its history, and where its last move left it (-1 when
    /// it left the store or no move is in the ring).
    /// </summary>
    public BlockExplanation Explain(in BlockKey key)
    {
        IReadOnlyList<LedgerEntry> history = ForBlock(key);
        int tier = -1;
        long session = 0;
        WorkloadLabels labels = default;
        foreach (LedgerEntry e in history)
        {
            session = e.Session;
            labels = e.Labels;
            if (e.IsMove)
            {
                tier = e.ToTier;
            }
        }

        return new BlockExplanation
        {
            Key = key,
            Tier = tier,
            TierName = tier >= 0 && tier < _tierNames.Length ? _tierNames[tier] : null,
            Session = session,
            Labels = labels,
            History = history,
            HistoryComplete = Dropped == 0,
            TierNames = _tierNames,
        };
    }

    /// <summary>One human-readable line for <paramref name="entry"/>, naming tiers as this ledger knows them.</summary>
    public string Describe(in LedgerEntry entry) => LedgerText.Describe(entry, _tierNames);

    /// <summary>Ties the ledger to a store: the store's lock guards it and its tiers name the entries.</summary>
    internal void Attach(Lock storeLock, string[] tierNames)
    {
        lock (_sync)
        {
            if (_attached)
            {
                ThrowHelper.ThrowArgument("options", "This placement ledger already serves another store; give each store its own.");
            }

            _attached = true;
            _tierNames = tierNames;
            _sync = storeLock;
        }
    }

    /// <summary>Appends an entry. The caller holds the store's lock.</summary>
    internal void Record(PlacementAction action, PlacementReason reason, in BlockKey key, long session, int depth,
        int from, int to, WorkloadLabels labels, double time)
    {
        long seq = _total++;
        _ring[(int)(seq % _ring.Length)] =
            new LedgerEntry(_droppedBefore + seq, time, action, reason, key, session, depth, from, to, labels);
    }

    private delegate bool EntryFilter(in LedgerEntry entry);

    private List<LedgerEntry> Where(EntryFilter filter)
    {
        lock (_sync)
        {
            var list = new List<LedgerEntry>();
            long count = Math.Min(_total, _ring.Length);
            for (long s = _total - count; s < _total; s++)
            {
                ref readonly LedgerEntry e = ref _ring[(int)(s % _ring.Length)];
                if (filter(e))
                {
                    list.Add(e);
                }
            }

            return list;
        }
    }

    /// <summary>
    /// Writes the ring as JSON lines: a header object (capacity, entries recorded and dropped, tier names), then one
    /// object per entry, oldest first. The format is in docs/placement.md.
    /// </summary>
    public void WriteJsonLines(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        IReadOnlyList<LedgerEntry> entries;
        long recorded;
        long dropped;
        lock (_sync)
        {
            entries = Snapshot();
            recorded = _droppedBefore + _total;
            dropped = _droppedBefore + Math.Max(0, _total - _ring.Length);
        }

        LedgerJsonLines.Write(stream, entries, Capacity, recorded, dropped, _tierNames);
    }

    /// <summary>
    /// Reads a ledger written by <see cref="WriteJsonLines"/> (the header line is optional; blank lines are skipped).
    /// The result holds every entry read, and the header's dropped count.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a ledger object; the message names the line.</exception>
    public static PlacementLedger ReadJsonLines(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        List<LedgerEntry> entries = LedgerJsonLines.Read(stream, out long dropped, out string[] names);
        var ledger = new PlacementLedger(Math.Max(1, entries.Count)) { _droppedBefore = dropped, _tierNames = names };
        foreach (LedgerEntry e in entries)
        {
            ledger._ring[ledger._total++] = e;
        }

        return ledger;
    }
}
