using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// The order in which blocks of no known session (session 0: a trace or server that names no sessions) leave the
/// agent policy. With no session there is nothing to predict a return from, and the only evidence that a block will
/// be wanted again is that it has been. Two orders read that evidence differently, and each wins where the other
/// loses: ARC's learned split between blocks used once and blocks used again keeps a conversation's last turn (seen
/// once) when the tier is large enough to wait for its next turn; S3-FIFO's quick demotion keeps a small tier for the
/// blocks used again. Both orders are kept over the resident blocks; two shadow caches replay the same references and
/// the pool evicts in the order whose shadow has recently hit more.
/// </summary>
/// <remarks>
/// <para>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (<see cref="AnonymousArcOrder"/>;
/// vLLM ships ARC for its CPU offloading cache); Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP
/// 2023 (<see cref="AnonymousFifoOrder"/>). Choosing between them online by shadow caches follows the miniature
/// simulations of Waldspurger et al. (USENIX ATC 2017), as rule 10 of the agent policy does for sessions. On the
/// Mooncake conversation trace S3-FIFO's order leads ARC's by 1.1 and 2.6 points at 1% and 2.5% of the unique
/// blocks and trails it by 2.2 and 4.1 points at 5% and 10% (docs/policies/agent.md, rule 11).
/// </para>
/// <para>
/// Both orders keep a request's blocks deepest-last (<see cref="TailFirstList"/>, vLLM's tail-first order), so a
/// request leaves from the tip of its chain and never strands a tail behind a missing prefix. Either order's ghost
/// bookkeeping follows every eviction, whichever order chose it, so the one not in charge is ready to take over.
/// </para>
/// </remarks>
internal sealed class AgentAnonymousPool
{
    /// <summary>Past shadow hits fade once this many times a shadow's capacity has been referenced.</summary>
    private const double ShadowMemory = 16;

    private readonly TierView _tier;
    private readonly bool[] _member;
    private readonly AnonymousArcOrder _arc;
    private readonly AnonymousFifoOrder _fifo;
    private readonly double _pairedMinimum;
    private readonly int _floor;          // the fewest blocks a shadow sampled for small requests holds (0: none)
    private readonly bool _realSteps;
    private readonly double _smallQueueCap;
    private ArcShadow? _arcShadow;
    private S3FifoShadow? _fifoShadow;
    private uint _sampleRate;
    private double _keep;
    private double _scale = 1;            // the switch reads sampled hits times this (R for a floor-sampled shadow)
    private bool _sizing;                 // the shadows may still be resampled once the gate has settled
    private int _lastDepth = int.MaxValue; // of the last reference of no session
    private bool _requestStarted;          // since the shadows' last reference
    private readonly RequestSizeGate? _gate; // the learned small queue learns only while requests are small
    private double _arcOnly;   // references the ARC shadow hit and the S3-FIFO shadow missed, decayed
    private double _fifoOnly;  // and the other way round
    private bool _useFifo;
    private int _count;

    public AgentAnonymousPool(TierView tier, AgentPolicyOptions options)
    {
        AgentAnonymousOrder order = options.AnonymousOrder;
        _tier = tier;
        _member = new bool[tier.Capacity];
        _pairedMinimum = options.AnonymousPairedMinimum;
        _arc = new AnonymousArcOrder(tier);
        if (options.AnonymousSmallQueueCap > 0 && options.AnonymousGateRatio > 0)
        {
            _gate = new RequestSizeGate(tier.Capacity, options.AnonymousGateRatio);
        }

        _fifo = new AnonymousFifoOrder(tier, options.AnonymousSmallQueueCap, _gate);
        // Until the shadows disagree, S3-FIFO's order: a tier fills before any order matters, and where ARC's is
        // better the difference shows late (a conversation's next turn), where S3-FIFO's is, early. A lower tier
        // has no shadows and keeps ARC's.
        _useFifo = order == AgentAnonymousOrder.S3Fifo || (order == AgentAnonymousOrder.Adaptive && tier.TierIndex == 0);
        if (order == AgentAnonymousOrder.Adaptive && tier.TierIndex == 0)
        {
            // A lower tier's references are demotions, not requests: nothing for a shadow to replay there.
            // Up to the option's size a shadow holds the whole tier's keys; a larger tier is shadowed by a 1-in-R key sample.
            long most = Math.Max(1, options.AnonymousShadowBlocks);
            _realSteps = options.AnonymousShadowRealSteps;
            _smallQueueCap = options.AnonymousSmallQueueCap;
            _floor = options.AnonymousShadowFloor;
            _sizing = _gate is not null && _floor > 0 && tier.Capacity >= 2L * _floor;
            MakeShadows((uint)Math.Max(1, (tier.Capacity + most - 1) / most));
        }
    }

    /// <summary>Blocks in the pool.</summary>
    public int Count => _count;

    /// <summary>Whether blocks leave in S3-FIFO's order now (else ARC's).</summary>
    public bool UsesFifo => _useFifo;

    public bool Contains(int handle) => _member[handle];

    /// <summary>A block of no session is offered (a miss): the shadows replay it, a ghost hit adapts ARC's split.</summary>
    public void Offer(in BlockKey key, int depth)
    {
        _gate?.Reference(depth);
        _arc.Offer(key);
        _fifo.Offer(key);
        Shadow(key, depth);
    }

    /// <summary>A block of no session is touched: a newcomer (<paramref name="inserted"/>) or a hit.</summary>
    public void Touch(int handle, bool inserted)
    {
        if (!inserted && _member[handle])
        {
            _gate?.Reference(_tier.Depth(handle));
            Shadow(_tier.Key(handle), _tier.Depth(handle));
        }
        else if (!_member[handle])
        {
            _member[handle] = true;
            _count++;
            inserted = true;
        }

        _arc.Touch(handle, inserted);
        _fifo.Touch(handle, inserted);
    }

    public void Remove(int handle)
    {
        if (!_member[handle])
        {
            return;
        }

        _member[handle] = false;
        _count--;
        _arc.Remove(handle);
        _fifo.Remove(handle);
    }

    /// <summary>The next victim in the order in charge (the other's if it has none); both orders record its ghost.</summary>
    public int SelectVictim()
    {
        int victim = _useFifo ? _fifo.SelectVictim() : _arc.SelectVictim();
        if (victim < 0)
        {
            victim = _useFifo ? _arc.SelectVictim() : _fifo.SelectVictim();
        }

        if (victim >= 0)
        {
            _arc.Evicted(victim);
            _fifo.Evicted(victim);
        }

        return victim;
    }

    /// <summary>Both shadows, fresh, over a 1-in-<paramref name="rate"/> key sample at 1/rate of the tier.</summary>
    private void MakeShadows(uint rate)
    {
        _sampleRate = rate;
        int shadowCapacity = Math.Max(1, _tier.Capacity / (int)rate);
        _arcShadow = new ArcShadow(shadowCapacity, !_realSteps);
        _fifoShadow = new S3FifoShadow(shadowCapacity, _smallQueueCap, _gate);
        _keep = 1 - (1.0 / (ShadowMemory * shadowCapacity));
    }

    /// <summary>
    /// Once the gate's mean covers the requests it remembers (the first few are no guide: a WEKA session's first
    /// requests are short): where they are small against a tier of two floors or more, the
    /// shadows start over on a 1-in-R sample (R = capacity / floor), read at R times their counts.
    /// </summary>
    /// <remarks>
    /// SHARDS (Waldspurger et al., FAST 2015): a spatially hashed sample of the keys at the same sampling rate of the
    /// capacity sees each request's blocks in the same proportion, and miniature simulations (Waldspurger et al.,
    /// USENIX ATC 2017) keep ARC's and S3-FIFO's hit ratios in a cache of a few thousand blocks. Where one request is a
    /// large share of the tier (the gate shut) the shadows stay whole: two orders' hits there hang on a few requests
    /// and on when the switch happens, and a sample moved session-less WEKA cells by half a point either way (session 16).
    /// </remarks>
    private void Resize()
    {
        if (!_gate!.Settled)
        {
            return;
        }

        _sizing = false;
        if (_gate.Open)
        {
            uint rate = (uint)(_tier.Capacity / _floor);
            MakeShadows(rate);
            _scale = rate;
        }
    }

    private void Shadow(in BlockKey key, int depth)
    {
        if (_arcShadow is null)
        {
            return;
        }

        if (_sizing)
        {
            Resize();
        }

        // A sampled shadow sees a few of a request's blocks: where requests start is told, not read from its depths.
        _requestStarted |= depth <= _lastDepth;
        _lastDepth = depth;
        if (_sampleRate > 1 && (uint)((key.Low * 0x9E3779B97F4A7C15UL) >> 40) % _sampleRate != 0)
        {
            return;
        }

        bool starts = _requestStarted;
        _requestStarted = false;
        ArcShadow arc = _arcShadow;
        S3FifoShadow fifo = _fifoShadow!;
        arc.Hits *= _keep;
        fifo.Hits *= _keep;
        bool arcHit = arc.Reference(key, depth, starts);
        bool fifoHit = fifo.Reference(key, depth, starts);
        if (_pairedMinimum > 0)
        {
            PairedSwitch(arcHit, fifoHit);
            return;
        }

        // Switch only when the other order's lead exceeds one standard deviation of a difference of two counts
        // (hits as Poisson counts): switching costs (the new order inherits the old one's choices), and early on a
        // few blocks' difference is noise.
        double lead = _useFifo ? arc.Hits - fifo.Hits : fifo.Hits - arc.Hits;
        if (lead > 0 && lead * lead * _scale > arc.Hits + fifo.Hits)
        {
            _useFifo = !_useFifo;
        }
    }

    /// <summary>
    /// McNemar's test (Psychometrika, 1947) on the two shadows' paired outcomes: the references both hit or both miss
    /// say nothing about which order is better, so only the discordant ones count, and the order in charge changes
    /// when the other's lead among them exceeds two standard deviations (z = 2, about 95%) once there are enough of
    /// them for the normal approximation (the option's minimum; the textbook asks for at least 25).
    /// </summary>
    private void PairedSwitch(bool arcHit, bool fifoHit)
    {
        _arcOnly *= _keep;
        _fifoOnly *= _keep;
        if (arcHit != fifoHit)
        {
            if (arcHit)
            {
                _arcOnly++;
            }
            else
            {
                _fifoOnly++;
            }
        }

        double discordant = _arcOnly + _fifoOnly;
        double lead = _useFifo ? _arcOnly - _fifoOnly : _fifoOnly - _arcOnly;
        if (discordant >= _pairedMinimum && lead > 0 && lead * lead > 4 * discordant)
        {
            _useFifo = !_useFifo;
        }
    }
}
