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
/// as the main queue holds blocks, in a fixed-size <see cref="GhostSet"/>; the move-to-main threshold is one hit,
/// as in the authors' libCacheSim implementation. The small queue is evicted from while it holds at least its 10%
/// (or the main queue is empty); pinned blocks are passed over in either queue.
/// </remarks>
public struct S3FifoPolicy : IEvictionPolicy
{
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
        _smallTarget = Math.Max(1, capacity / 10);
        _ghost = new GhostSet(Math.Max(1, capacity - _smallTarget));
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _frequency[handle] = 0;
        if (_ghost.Remove(_tier.Key(handle)))
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
                if (_frequency[h] == 0)
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
