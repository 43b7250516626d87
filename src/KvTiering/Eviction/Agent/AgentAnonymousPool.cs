using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// The order in which blocks of no known session (session 0: a trace or server that names no sessions) leave the
/// agent policy. With no session there is nothing to predict a return from, and the only evidence that a block will
/// be wanted again is that it has been. Two orders read that evidence differently, and each wins where the other
/// loses: ARC's learned split between blocks used once and blocks used again keeps a conversation's last turn (seen
/// once) when the tier is large enough to wait for its next turn; S3-FIFO's quick demotion keeps a small tier for the
/// blocks used again. Both orders are kept over the resident blocks (where requests are small, ARC's only while it is
/// in charge); two shadow caches (<see cref="AnonymousShadowPair"/>) replay the same references and the pool evicts in
/// the order whose shadow has recently hit more.
/// </summary>
/// <remarks>
/// <para>
/// Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003 (<see cref="AnonymousArcOrder"/>;
/// vLLM ships ARC for its CPU offloading cache); Yang et al., "FIFO Queues are All You Need for Cache Eviction", SOSP
/// 2023 (<see cref="AnonymousFifoOrder"/>). Choosing between them online by shadow caches follows the miniature
/// simulations of Waldspurger et al. (USENIX ATC 2017), as rule 10 of the agent policy does for sessions. On the
/// Mooncake conversation trace S3-FIFO's order leads ARC's by 1.1 and 2.6 points at 1% and 2.5% of the unique
/// blocks and trails it by 2.2 and 4.1 points at 5% and 10% (docs/policies/agent-research-log.md, Design, rule 11).
/// </para>
/// <para>
/// Both orders keep a request's blocks deepest-last (<see cref="TailFirstList"/>, vLLM's tail-first order), so a
/// request leaves from the tip of its chain and never strands a tail behind a missing prefix. Either order's ghost
/// bookkeeping follows every eviction, whichever order chose it, so the one not in charge is ready to take over.
/// </para>
/// </remarks>
internal sealed class AgentAnonymousPool
{
    private readonly TierView _tier;
    private readonly AnonymousArcOrder _arc;
    private readonly AnonymousFifoOrder _fifo;
    private readonly RequestSizeGate? _gate;      // the learned small queue learns only while requests are small
    private readonly AnonymousShadowPair? _shadows;
    private readonly int _floor;                  // the fewest blocks a shadow sampled for small requests holds (0: none)
    private readonly bool _floorSampled;          // the tier holds two floors or more: small requests sample the shadows
    private readonly bool _arcOnDemandOption;
    private bool _selfPending;                    // the order in charge becomes its own shadow once the pool fills the tier
    private bool _sizing;                         // the gate has not settled yet, and its answer may change the shadows
    private bool _arcOnDemand;                    // ARC's order is kept only while in charge
    private bool _arcKept = true;                 // ARC's order follows every block now
    private bool _useFifo;
    private int _count;

    public AgentAnonymousPool(TierView tier, AgentPolicyOptions options)
    {
        AgentAnonymousOrder order = options.AnonymousOrder;
        _tier = tier;
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
            _shadows = new AnonymousShadowPair(tier.Capacity, options, _gate, (uint)Math.Max(1, (tier.Capacity + most - 1) / most));
            _floor = options.AnonymousShadowFloor;
            _floorSampled = _gate is not null && _floor > 0 && tier.Capacity >= 2L * _floor;
            _arcOnDemandOption = options.AnonymousArcOnDemand;
            _sizing = _floorSampled || (_gate is not null && _arcOnDemandOption);
            _selfPending = options.AnonymousSelfShadow && _sizing;
            if (_floorSampled)
            {
                // Settle may sample the shadows in the middle of the replay: their replacements are built now.
                _shadows.Prepare((uint)(tier.Capacity / _floor));
            }
        }
    }

    /// <summary>Blocks in the pool.</summary>
    public int Count => _count;

    /// <summary>Whether blocks leave in S3-FIFO's order now (else ARC's).</summary>
    public bool UsesFifo => _useFifo;

    /// <summary>
    /// Whether <paramref name="handle"/> is in the pool: S3-FIFO's order, always kept, holds every member. An empty pool
    /// (a tier whose blocks all have sessions) answers without reading the block's state, a cache miss per touch over a
    /// large tier.
    /// </summary>
    public bool Contains(int handle) => _count > 0 && _fifo.Contains(handle);

    /// <summary>A block of no session is offered (a miss): the shadows replay it, a ghost hit adapts ARC's split.</summary>
    public void Offer(in BlockKey key, int depth)
    {
        _gate?.Reference(depth);
        if (_arcKept)
        {
            _arc.Offer(key);
        }

        _fifo.Offer(key);
        Shadow(key, depth, hit: false);
    }

    /// <summary>A block of no session is touched: a newcomer (<paramref name="inserted"/>) or a hit.</summary>
    public void Touch(int handle, bool inserted)
    {
        bool member = _fifo.Contains(handle);
        if (!inserted && member)
        {
            _gate?.Reference(_tier.Depth(handle));
            Shadow(_tier.Key(handle), _tier.Depth(handle), hit: true);
        }
        else if (!member)
        {
            _count++;
            inserted = true;
        }

        if (_arcKept)
        {
            _arc.Touch(handle, inserted);
        }

        _fifo.Touch(handle, inserted);
    }

    public void Remove(int handle)
    {
        if (!_fifo.Contains(handle))
        {
            return;
        }

        _count--;
        if (_arcKept)
        {
            _arc.Remove(handle);
        }

        _fifo.Remove(handle);
    }

    /// <summary>The next victim in the order in charge (the other's if it has none); the orders kept record its ghost.</summary>
    public int SelectVictim()
    {
        int victim = _useFifo ? _fifo.SelectVictim() : _arc.SelectVictim();
        if (victim < 0)
        {
            victim = _useFifo ? _arc.SelectVictim() : _fifo.SelectVictim();
        }

        if (victim >= 0)
        {
            if (_arcKept)
            {
                _arc.Evicted(victim);
            }

            _fifo.Evicted(victim);
        }

        return victim;
    }

    private void Shadow(in BlockKey key, int depth, bool hit)
    {
        if (_shadows is null)
        {
            return;
        }

        if (_sizing)
        {
            Settle();
        }

        if ((_selfPending && !_sizing) || _shadows.SelfShadow)
        {
            SelfShadow();
        }

        if (_shadows.Reference(key, depth, _useFifo, hit))
        {
            SwitchOrder();
        }
    }

    /// <summary>
    /// The order in charge sees the references its shadow would, at its capacity, only while blocks of no session
    /// hold the whole tier: once the gate has settled open (small requests; where it shuts, switches are frequent and
    /// hang on a few requests, and an idle shadow's stale blocks cost up to 0.8 points on a session-less WEKA quarter)
    /// it becomes its own shadow the first time they fill it, and gives that up for good once a session's block takes
    /// room (traffic with sessions keeps both shadows, as before the option); the pair gives it up at the first switch.
    /// </summary>
    private void SelfShadow()
    {
        bool whole = _count == _tier.Count;
        if (_selfPending)
        {
            if (!whole)
            {
                _selfPending = false;
            }
            else if (_count >= _tier.Capacity)
            {
                _selfPending = false;
                _shadows!.SelfShadow = true;
            }
        }
        else if (!whole)
        {
            _shadows!.SelfShadow = false;
        }
    }

    /// <summary>
    /// Once the gate's mean covers the requests it remembers (the first few are no guide: a WEKA session's first
    /// requests are short) and says requests are small: a tier of two floors or more restarts its shadows on a 1-in-R
    /// sample (R = capacity / floor), read at R times their counts; with ARC's order on demand, it is dropped while
    /// S3-FIFO's is in charge.
    /// </summary>
    /// <remarks>
    /// Where one request is a large share of the tier (the gate shut) the shadows stay whole and both orders kept: two
    /// orders' hits there hang on a few requests and on when the switch fires, and a sample moved session-less WEKA
    /// cells by up to a point either way (docs/policies/agent-research-log.md, session 16).
    /// </remarks>
    private void Settle()
    {
        if (!_gate!.Settled)
        {
            return;
        }

        _sizing = false;
        if (!_gate.Open)
        {
            _selfPending = false;
            return;
        }

        if (_floorSampled)
        {
            _shadows!.Restart((uint)(_tier.Capacity / _floor), scaled: true);
        }

        if (_arcOnDemandOption)
        {
            _arcOnDemand = true;
            if (_useFifo)
            {
                _arc.Clear();
                _arcKept = false;
            }
        }
    }

    /// <summary>
    /// The other order takes charge. With ARC's order on demand it is rebuilt from S3-FIFO's when it takes charge
    /// (switches are rare: none on Mooncake conversation, five per size on synthetic) and dropped when it hands back.
    /// </summary>
    private void SwitchOrder()
    {
        _useFifo = !_useFifo;
        if (!_arcOnDemand)
        {
            return;
        }

        if (_useFifo)
        {
            _arc.Clear();
            _arcKept = false;
        }
        else if (!_arcKept)
        {
            _arc.Rebuild(_fifo);
            _arcKept = true;
        }
    }
}
