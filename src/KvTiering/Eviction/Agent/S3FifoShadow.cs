namespace KvTiering.Eviction;

/// <summary>A shadow cache run by <see cref="AnonymousFifoOrder"/>'s rule: S3-FIFO over tail-first queues.</summary>
/// <remarks>
/// Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP 2023. The ghost shares the shadow's key
/// index, so a reference probes once for the resident blocks and the ghost.
/// </remarks>
internal sealed class S3FifoShadow : AnonymousShadow
{
    private const byte MaxFrequency = 3;
    private const byte InSmall = 1;
    private const byte InMain = 2;

    private readonly byte[] _queue;
    private readonly byte[] _frequency;
    private readonly SmallQueueTarget _target;
    private readonly S3FifoGhosts _ghosts;
    private BurstList _small;
    private BurstList _main;

    public S3FifoShadow(int capacity, double maxSmallShare = 0, RequestSizeGate? gate = null)
        : base(capacity, ghostCells: 2 * S3FifoGhosts.Capacity(capacity))
    {
        _queue = new byte[capacity];
        _frequency = new byte[capacity];
        _target = new SmallQueueTarget(capacity, maxSmallShare, gate);
        _ghosts = new S3FifoGhosts(capacity, _target, Keys, Index, first: capacity);
        _small = new BurstList(capacity);
        _main = new BurstList(capacity);
    }

    protected override void StartRequest()
    {
        _small.Close();
        _main.Close();
    }

    protected override void OnHit(int slot)
    {
        if (_frequency[slot] < MaxFrequency)
        {
            _frequency[slot]++;
        }
    }

    protected override void OnMiss(in Blocks.BlockKey key, int ghostCell) => _ghosts.OnMiss(key, ghostCell);

    protected override void OnInsert(int slot)
    {
        _frequency[slot] = 0;
        if (_ghosts.Admitted(Keys[slot]))
        {
            _queue[slot] = InMain;
            _main.Touch(slot, Depths[slot]);
        }
        else
        {
            _queue[slot] = InSmall;
            _small.Touch(slot, Depths[slot]);
        }
    }

    protected override int SelectVictim()
    {
        if (_small.Count >= _target.Target || _main.Count == 0)
        {
            int victim = EvictSmall();
            return victim >= 0 ? victim : EvictMain();
        }

        return EvictMain();
    }

    protected override bool OnEvict(int slot)
    {
        // Resident until now, so no ghost (its insert forgot its ghost): its index entry moves to a ghost list.
        bool ghost = _ghosts.Evicted(slot, _queue[slot] == InSmall);
        if (_queue[slot] == InSmall)
        {
            _small.Remove(slot);
        }
        else
        {
            _main.Remove(slot);
        }

        _queue[slot] = 0;
        return ghost;
    }

    private int EvictSmall()
    {
        for (int h = _small.Tail; h >= 0;)
        {
            int previous = _small.Previous(h);
            if (_frequency[h] == 0)
            {
                return h;
            }

            _small.Remove(h);
            _frequency[h] = 0;
            _queue[h] = InMain;
            _main.Enqueue(h);
            h = previous;
        }

        return -1;
    }

    private int EvictMain()
    {
        // Every block passed loses one count, so at most four rounds of the queue reach a zero.
        while (true)
        {
            int h = _main.Tail;
            if (_frequency[h] == 0)
            {
                return h;
            }

            _frequency[h]--;
            _main.Requeue(h);
        }
    }
}
