using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// S3-FIFO: three FIFO queues. New blocks enter a small queue (10% of the tier); one that was hit while there moves
/// to the main queue (90%) when it reaches the small queue's end, the rest leave and their keys go to a ghost queue.
/// A block that comes back while its key is still a ghost enters the main queue directly. The main queue is a
/// CLOCK with a 2-bit frequency: a block at its end that was hit goes round again with its count less one.
/// </summary>
/// <remarks>
/// Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP 2023. One-hit wonders (a scan, a request
/// never continued) pass through the small queue without disturbing the main one. The ghost remembers as many keys
/// as the main queue holds blocks, in a fixed-size <see cref="GhostSet"/>. The small queue's share (default 10%) and
/// the hits a block needs in it to move to the main queue (default 1, as in the paper) are parameters; libCacheSim's
/// S3FIFO.c uses <c>fifo-size-ratio=0.10</c> and <c>move-to-main-threshold=2</c>, so
/// <c>new S3FifoPolicy(0.1, 2)</c> replays its miss ratios (docs/harness.md). The small queue is evicted from while it
/// holds at least its share (or the main queue is empty); pinned blocks are passed over in either queue.
/// </remarks>
public struct S3FifoPolicy : IEvictionPolicy, IIgnoresChildren, IIgnoresNextUse
{
    /// <summary>The small queue's default share of the tier.</summary>
    public const double DefaultSmallShare = 0.1;

    /// <summary>The default number of hits in the small queue that move a block to the main queue.</summary>
    public const int DefaultMoveThreshold = 1;

    private const byte MaxFrequency = 3;
    private const byte InSmall = 1;
    private const byte InMain = 2;

    private TierView _tier;
    private HandleList _small;   // head = newest
    private HandleList _main;    // head = newest
    private GhostSet _ghost;
    private byte[] _frequency;
    private byte[] _queue;       // which queue each handle is in
    private int _smallTarget;
    private BlockKey _admitted;           // the block Admit looked up in the ghost, before room was made for it
    private bool _admittedWasGhost;
    private bool _admittedPending;
    private readonly double _smallShare;  // 0 = default
    private readonly byte _moveThreshold; // 0 = default

    /// <summary>An S3-FIFO with a small queue of <paramref name="smallShare"/> of the tier and a move-to-main threshold of <paramref name="moveThreshold"/> hits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smallShare"/> is not in (0, 1) or <paramref name="moveThreshold"/> not in 1..3.</exception>
    public S3FifoPolicy(double smallShare, int moveThreshold)
    {
        if (!(smallShare > 0 && smallShare < 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(smallShare), smallShare, $"S3-FIFO's small-queue share {smallShare} must lie between 0 and 1.");
        }

        if (moveThreshold is < 1 or > MaxFrequency)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(moveThreshold), moveThreshold, $"S3-FIFO's move-to-main threshold {moveThreshold} must be 1, 2 or 3 hits.");
        }

        _smallShare = smallShare;
        _tier = null!; // set by Attach, as for a default instance
        _frequency = [];
        _queue = [];
        _ghost = null!;
        _moveThreshold = (byte)moveThreshold;
    }

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        int capacity = tier.Capacity;
        _small = new HandleList(capacity);
        _main = new HandleList(capacity);
        _frequency = new byte[capacity];
        _queue = new byte[capacity];
        double share = _smallShare == 0 ? DefaultSmallShare : _smallShare;
        _smallTarget = Math.Max(1, (int)(capacity * share)); // as libCacheSim sizes it: (int64_t)(cache_size * ratio)
        _ghost = new GhostSet(Math.Max(1, capacity - _smallTarget));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The ghost is consulted here, before the store makes room: the eviction that follows adds a key to the ghost and
    /// may push out this block's own entry. libCacheSim's S3FIFO_find takes the key out of the ghost at lookup, before
    /// its eviction, for the same reason.
    /// </remarks>
    public bool Admit(in BlockInfo block)
    {
        // Admitted again before its insert (a failed attempt): its ghost entry, if any, was taken the first time.
        bool again = _admittedPending && block.Key == _admitted && _admittedWasGhost;
        _admitted = block.Key;
        _admittedWasGhost = _ghost.Remove(block.Key) || again;
        _admittedPending = true;
        return true;
    }

    /// <inheritdoc />
    public void OnInsert(int handle)
    {
        _frequency[handle] = 0;
        BlockKey key = _tier.Key(handle);
        bool wasGhost = _admittedPending && key == _admitted ? _admittedWasGhost : _ghost.Remove(key);
        _admittedPending = false;
        if (wasGhost)
        {
            _queue[handle] = InMain;
            _main.PushFront(handle);
        }
        else
        {
            _queue[handle] = InSmall;
            _small.PushFront(handle);
        }
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        if (_frequency[handle] < MaxFrequency)
        {
            _frequency[handle]++;
        }
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        if (_queue[handle] == InSmall)
        {
            _small.Remove(handle);
        }
        else
        {
            _main.Remove(handle);
        }

        _queue[handle] = 0;
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        int victim;
        if (_small.Count >= _smallTarget || _main.Count == 0)
        {
            victim = EvictSmall();
            return victim >= 0 ? victim : EvictMain();
        }

        victim = EvictMain();
        return victim >= 0 ? victim : EvictSmall();
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly int EvictSmall()
    {
        int h = _small.Tail;
        while (h >= 0)
        {
            int previous = _small.Previous(h);
            if (_tier.IsEvictable(h))
            {
                if (_frequency[h] < (_moveThreshold == 0 ? DefaultMoveThreshold : _moveThreshold))
                {
                    _ghost.Add(_tier.Key(h));
                    return h;
                }

                // Hit while in the small queue: on to the main queue, where its count starts over.
                _small.Remove(h);
                _frequency[h] = 0;
                _queue[h] = InMain;
                _main.PushFront(h);
            }

            h = previous;
        }

        return -1;
    }

    private readonly int EvictMain()
    {
        // Each pass from the end lowers every passed count by one, so four passes reach a zero if any block can go.
        for (int pass = 0; pass <= MaxFrequency; pass++)
        {
            int h = _main.Tail;
            int steps = _main.Count;
            while (h >= 0 && steps-- > 0)
            {
                int previous = _main.Previous(h);
                if (_tier.IsEvictable(h))
                {
                    if (_frequency[h] == 0)
                    {
                        return h;
                    }

                    _frequency[h]--;
                    _main.MoveToFront(h);
                }

                h = previous;
            }
        }

        return -1;
    }
}
