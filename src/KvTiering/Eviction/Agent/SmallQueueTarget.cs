using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// The size of an S3-FIFO order's small (probationary) queue: fixed at a tenth of the capacity, or learned from ghost
/// hits as ARC learns its split, up to a cap. A block referenced again soon after it left the small queue unused says
/// the small queue was too short for it; one referenced again soon after it left the main queue says the main queue
/// was.
/// </summary>
/// <remarks>
/// Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP 2023, fix the small queue at 10%; the
/// adaptation is ARC's (Megiddo and Modha, FAST 2003, figure 4: the target moves by max(1, |other ghost| / |own
/// ghost|) toward the queue whose ghost was hit). Each ghost remembers as many keys as S3-FIFO's own ghost (the
/// capacity less the small queue's tenth); both are one <see cref="GhostPair"/> (small first), so a miss probes once
/// and the insert that follows reuses that lookup, as <see cref="ArcDirectory"/> does. The cap keeps the main queue, where blocks used again live, from being
/// squeezed out by a small queue chasing reuse it cannot hold (docs/policies/agent.md, rule 11, session 13).
/// </remarks>
internal sealed class SmallQueueTarget
{
    private readonly int _ghostCapacity;  // keys per ghost list; 0 without the option
    private readonly double _max;
    private readonly double _tenth;
    private readonly RequestSizeGate? _gate; // while shut: a fixed tenth, as without the option
    private GhostPair? _ghosts; // first: keys that left the small queue unused; second: the main queue (made on first use)
    private double _learned;
    private BlockKey _missKey;  // the key OnMiss last looked up
    private int _missCell = -1; // where it was then (-1: no ghost)
    private bool _missKnown;

    /// <param name="capacity">Blocks the order holds.</param>
    /// <param name="maxShare">The most of the capacity the small queue may take; 0 keeps it at a tenth.</param>
    /// <param name="gate">When given, the target learns only while the gate is open and is a tenth while it is shut.</param>
    public SmallQueueTarget(int capacity, double maxShare, RequestSizeGate? gate = null)
    {
        _tenth = Math.Max(1, capacity / 10);
        _learned = _tenth;
        _gate = gate;
        _max = Math.Max(_tenth, Math.Min(capacity - 1, maxShare * capacity));
        _ghostCapacity = maxShare > 0 ? Math.Max(1, capacity - Math.Max(1, capacity / 10)) : 0;
    }

    /// <summary>The small queue's target size, in blocks.</summary>
    public double Target => _gate is { Open: false } ? _tenth : _learned;

    private bool Learning => _ghostCapacity > 0 && _gate is not { Open: false };

    /// <summary>The ghosts, made on first use: a tier whose gate never opens (no session-less traffic) holds none.</summary>
    private GhostPair Ghosts => _ghosts ??= new GhostPair(_ghostCapacity);

    /// <summary>A key not resident is referenced: a ghost moves the target toward the queue it left.</summary>
    public void OnMiss(in BlockKey key)
    {
        if (!Learning)
        {
            return;
        }

        GhostPair ghosts = Ghosts;
        int cell = ghosts.Find(key);
        _missKey = key;
        _missCell = cell;
        _missKnown = true;
        if (cell < 0)
        {
            return;
        }

        if (ghosts.IsFirst(cell))
        {
            _learned = Math.Min(_max, _learned + Math.Max(1.0, (double)ghosts.SecondCount / Math.Max(1, ghosts.FirstCount)));
        }
        else
        {
            _learned = Math.Max(1, _learned - Math.Max(1.0, (double)ghosts.FirstCount / Math.Max(1, ghosts.SecondCount)));
        }
    }

    /// <summary>A newcomer is inserted: returns whether it was a main-queue ghost (it returns to the main queue).</summary>
    public bool Admitted(in BlockKey key)
    {
        if (!Learning)
        {
            return false;
        }

        GhostPair ghosts = Ghosts;
        int cell;
        if (_missKnown && key.Equals(_missKey))
        {
            // OnMiss looked this key up; since then the ghosts can only have lost it (a victim's key is another's),
            // so check the cell it was in.
            cell = _missCell >= 0 && ghosts.Holds(_missCell, key) ? _missCell : -1;
        }
        else
        {
            cell = ghosts.Find(key);
        }

        _missKnown = false;
        if (cell < 0)
        {
            return false;
        }

        ghosts.Forget(cell);
        return !ghosts.IsFirst(cell);
    }

    /// <summary>A block left the small (<paramref name="fromSmall"/>) or the main queue by eviction: its key becomes a ghost.</summary>
    public void Evicted(in BlockKey key, bool fromSmall)
    {
        if (!Learning)
        {
            return;
        }

        if (_missKnown && key.Equals(_missKey))
        {
            _missKnown = false;
        }

        // A resident key is no ghost when it was admitted while learning; one admitted while the gate was shut may be.
        GhostPair ghosts = Ghosts;
        if (ghosts.Find(key) < 0)
        {
            ghosts.AddAbsent(key, fromSmall);
        }
    }
}
