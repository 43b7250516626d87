namespace KvTiering.Eviction;

/// <summary>
/// S3-FIFO's order over the agent policy's blocks of no session: new blocks enter a small queue (10% of the tier) and
/// leave it after one pass unless hit meanwhile, when they move to the main queue, a CLOCK with a 2-bit frequency;
/// a block whose key is still a ghost of the small queue enters the main queue directly. Quick demotion: a request
/// seen once passes through the small queue without disturbing the blocks used again.
/// </summary>
/// <remarks>
/// Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP 2023, as <see cref="S3FifoPolicy"/>
/// implements it (the move-to-main threshold of the authors' libCacheSim code, one hit; a ghost of as many keys as the
/// main queue holds). One change: both queues keep a request's blocks deepest-last (<see cref="TailFirstList"/>), so
/// a request leaves from the tip of its chain instead of stranding its tail behind a missing head.
/// </remarks>
internal sealed class AnonymousFifoOrder
{
    private const byte MaxFrequency = 3;
    private const byte InSmall = 1;
    private const byte InMain = 2;
    private const byte QueueBits = 3;     // the state's low two bits: the queue (0: not in the order)
    private const byte FrequencyUnit = 4; // the next two: the frequency, 0 to 3

    private readonly TierView _tier;
    private readonly byte[] _state;       // per handle, queue and frequency in one byte: one load per touch and per scanned block
    private readonly SmallQueueTarget _target;
    private readonly S3FifoGhosts _ghosts;
    private TailFirstList _small;
    private TailFirstList _main;

    public AnonymousFifoOrder(TierView tier, double maxSmallShare = 0, RequestSizeGate? gate = null)
    {
        _tier = tier;
        int capacity = tier.Capacity;
        _state = new byte[capacity];
        _target = new SmallQueueTarget(capacity, maxSmallShare, gate);
        _ghosts = new S3FifoGhosts(capacity, _target);
        _small = new TailFirstList(tier);
        _main = new TailFirstList(tier);
    }

    /// <summary>A block of no session is offered (a miss): with a learned small queue, a ghost hit moves its target.</summary>
    public void Offer(in Blocks.BlockKey key) => _ghosts.OnMiss(key);

    /// <summary>Blocks in the small queue.</summary>
    public int SmallCount => _small.Count;

    /// <summary>Whether <paramref name="handle"/> is in the order (in either queue).</summary>
    public bool Contains(int handle) => _state[handle] != 0;

    /// <summary>A block of no session is touched: a hit counts (up to 3), a newcomer joins the small queue (the main one if a ghost).</summary>
    public void Touch(int handle, bool inserted)
    {
        int state = _state[handle];
        if (!inserted && state != 0)
        {
            if (state < MaxFrequency * FrequencyUnit)
            {
                _state[handle] = (byte)(state + FrequencyUnit);
            }

            return;
        }

        if (_ghosts.Admitted(_tier.Key(handle)))
        {
            _state[handle] = InMain;
            _main.Touch(handle);
        }
        else
        {
            _state[handle] = InSmall;
            _small.Touch(handle);
        }
    }

    public void Remove(int handle)
    {
        int queue = _state[handle] & QueueBits;
        if (queue == InSmall)
        {
            _small.Remove(handle);
        }
        else if (queue == InMain)
        {
            _main.Remove(handle);
        }

        _state[handle] = 0;
    }

    /// <summary>The next victim: from the small queue while it holds its share (or the main queue is empty), else from the main one.</summary>
    public int SelectVictim()
    {
        int victim;
        if (_small.Count >= _target.Target || _main.Count == 0)
        {
            victim = EvictSmall();
            return victim >= 0 ? victim : EvictMain();
        }

        victim = EvictMain();
        return victim >= 0 ? victim : EvictSmall();
    }

    /// <summary>A block leaves by eviction (whichever order chose it): one leaving the small queue leaves its key as a ghost.</summary>
    public void Evicted(int handle)
    {
        int queue = _state[handle] & QueueBits;
        if (queue != 0)
        {
            _ghosts.Evicted(_tier.Key(handle), queue == InSmall);
        }
    }

    /// <summary>Seeds <paramref name="arc"/> with every block, oldest first: the main queue's as used again, then the small queue's.</summary>
    public void Visit(AnonymousArcOrder arc)
    {
        for (int h = _main.Tail; h >= 0; h = _main.Previous(h))
        {
            arc.Seed(h, usedAgain: true);
        }

        for (int h = _small.Tail; h >= 0; h = _small.Previous(h))
        {
            arc.Seed(h, usedAgain: false);
        }
    }

    private int EvictSmall()
    {
        int h = _small.Tail;
        while (h >= 0)
        {
            int previous = _small.Previous(h);
            if (_tier.IsEvictable(h))
            {
                if (_state[h] < FrequencyUnit)
                {
                    return h;
                }

                // Hit while in the small queue: on to the main queue, where its count starts over.
                _small.Remove(h);
                _state[h] = InMain;
                _main.Enqueue(h);
            }

            h = previous;
        }

        return -1;
    }

    private int EvictMain()
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
                    if (_state[h] < FrequencyUnit)
                    {
                        return h;
                    }

                    _state[h] -= FrequencyUnit;
                    _main.Requeue(h);
                }

                h = previous;
            }
        }

        return -1;
    }
}
