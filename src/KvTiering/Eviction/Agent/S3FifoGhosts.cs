using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// The ghosts of an S3-FIFO order (<see cref="AnonymousFifoOrder"/>, <see cref="S3FifoShadow"/>): keys that left the
/// small queue unused (S3-FIFO's own ghost, always kept) and, while its small queue's size is learned, keys that left
/// the main queue (<see cref="SmallQueueTarget"/>), as the two lists of one <see cref="GhostPair"/>, so a miss probes
/// once for both and the insert that follows reuses that lookup.
/// </summary>
/// <remarks>
/// Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP 2023 (the ghost: as many keys as the main
/// queue holds; a newcomer found there enters the main queue). Before session 16 the learned target kept a ghost pair
/// of its own beside S3-FIFO's ghost, and its small-queue list held exactly the ghost's keys while it learned: three
/// indexes probed per miss where one serves. A newcomer's ghost is forgotten whichever list holds it, so a resident key
/// is never a ghost and an evicted key is added without a lookup.
/// </remarks>
internal sealed class S3FifoGhosts
{
    private readonly GhostPair _ghosts; // first: left the small queue unused; second: left the main queue (while learning)
    private readonly SmallQueueTarget _target;
    private BlockKey _missKey;  // the key OnMiss last looked up
    private int _missCell = -1; // where it was then (-1: no ghost)
    private bool _missKnown;

    /// <summary>Ghosts of <see cref="Capacity(int)"/> keys per list with their own index.</summary>
    public S3FifoGhosts(int capacity, SmallQueueTarget target)
        : this(new GhostPair(Capacity(capacity)), target)
    {
    }

    /// <summary>Ghosts in cells <paramref name="first"/> on of an owner's key array, behind the owner's <paramref name="index"/>.</summary>
    public S3FifoGhosts(int capacity, SmallQueueTarget target, BlockKey[] keys, KeySlotIndex index, int first)
        : this(new GhostPair(Capacity(capacity), keys, index, first), target)
    {
    }

    private S3FifoGhosts(GhostPair ghosts, SmallQueueTarget target)
    {
        _ghosts = ghosts;
        _target = target;
    }

    /// <summary>Keys per ghost list for an order of <paramref name="capacity"/> blocks: as many as its main queue holds at S3-FIFO's tenth.</summary>
    public static int Capacity(int capacity) => Math.Max(1, capacity - Math.Max(1, capacity / 10));

    /// <summary>Keys the small queue's ghost remembers now.</summary>
    public int SmallCount => _ghosts.FirstCount;

    /// <summary>Keys the main queue's ghost remembers now.</summary>
    public int MainCount => _ghosts.SecondCount;

    /// <summary>A key not resident is referenced: a ghost hit moves the learned target.</summary>
    public void OnMiss(in BlockKey key) => OnMiss(key, _ghosts.Find(key));

    /// <summary>
    /// <see cref="OnMiss(in BlockKey)"/> for an owner sharing the index that has looked <paramref name="key"/> up:
    /// <paramref name="ghostCell"/> is the ghost cell holding it, or -1.
    /// </summary>
    public void OnMiss(in BlockKey key, int ghostCell)
    {
        _missKey = key;
        _missCell = ghostCell;
        _missKnown = true;
        if (ghostCell >= 0)
        {
            _target.GhostHit(_ghosts.IsFirst(ghostCell), _ghosts.FirstCount, _ghosts.SecondCount);
        }
    }

    /// <summary>
    /// A newcomer is inserted: its ghost, if any, is forgotten; returns whether it enters the main queue (it was the
    /// small queue's ghost, or the main queue's while learning).
    /// </summary>
    public bool Admitted(in BlockKey key)
    {
        int cell;
        if (_missKnown && key.Equals(_missKey))
        {
            // OnMiss looked this key up; since then a ghost list can only have lost it (a victim's key is another's),
            // so check the cell it was in.
            cell = _missCell >= 0 && _ghosts.Holds(_missCell, key) ? _missCell : -1;
        }
        else
        {
            cell = _ghosts.Find(key);
        }

        _missKnown = false;
        if (cell < 0)
        {
            return false;
        }

        bool small = _ghosts.IsFirst(cell);
        _ghosts.Forget(cell);
        return small || _target.Learning;
    }

    /// <summary>A resident block left the small (<paramref name="fromSmall"/>) or the main queue by eviction: its key becomes a ghost.</summary>
    public void Evicted(in BlockKey key, bool fromSmall)
    {
        if (_missKnown && key.Equals(_missKey))
        {
            _missKnown = false;
        }

        if (fromSmall || _target.Learning)
        {
            _ghosts.AddAbsent(key, fromSmall);
        }
    }

    /// <summary>
    /// <see cref="Evicted(in BlockKey, bool)"/> for an owner sharing the index: the key of its indexed
    /// <paramref name="slot"/> takes over the slot's index entry. False when no ghost keeps it (the owner un-indexes the slot).
    /// </summary>
    public bool Evicted(int slot, bool fromSmall) => (fromSmall || _target.Learning) && _ghosts.AddFrom(slot, fromSmall);
}
