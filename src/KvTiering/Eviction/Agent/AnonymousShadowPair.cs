using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// Rule 11's two shadow caches (<see cref="ArcShadow"/>, <see cref="S3FifoShadow"/>) and the test that reads them: each
/// reference of no session is replayed into both (or, sampled, only a 1-in-R share of the keys), their hits fade, and
/// <see cref="Reference"/> says when the order not in charge has led by enough to take over. With
/// <see cref="AgentPolicyOptions.AnonymousSelfShadow"/> the order in charge is its own shadow until the first switch:
/// only the other order's shadow replays the references, and the pool's own hits on the same key sample stand for the
/// shadow it spares.
/// </summary>
/// <remarks>
/// Miniature simulation (Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations", USENIX ATC
/// 2017) over a spatially hashed key sample (SHARDS, Waldspurger et al., FAST 2015): a sample at rate 1/R of the keys
/// at 1/R of the capacity sees each request's blocks in the same proportion. The unpaired test switches on a lead over
/// one standard deviation of a difference of two counts (hits as Poisson counts); a sample read at R times its counts
/// (<c>scaled</c>) switches on the lead the whole shadows would need. The paired test is McNemar's (Psychometrika,
/// 1947), on the references one shadow hits and the other misses.
/// </remarks>
internal sealed class AnonymousShadowPair
{
    /// <summary>Past shadow hits fade once this many times a shadow's capacity has been referenced.</summary>
    private const double ShadowMemory = 16;

    private readonly int _tierCapacity;
    private readonly bool _realSteps;
    private readonly double _smallQueueCap;
    private readonly double _pairedMinimum;
    private readonly RequestSizeGate? _gate;
    private bool _self;                    // the order in charge is its own shadow now
    private ArcShadow _arc = null!;
    private S3FifoShadow _fifo = null!;
    private ArcShadow? _preparedArc;       // the shadows a restart at _preparedRate takes (Prepare), or null
    private S3FifoShadow? _preparedFifo;
    private uint _preparedRate;
    private uint _sampleRate;
    private double _keep;
    private double _scale;
    private int _lastDepth = int.MaxValue; // of the last reference of no session
    private bool _requestStarted;          // since the shadows' last reference
    private double _arcOnly;   // references the ARC shadow hit and the S3-FIFO shadow missed, decayed
    private double _fifoOnly;  // and the other way round
    private double _realHits;  // with _self: the pool's leading-run hits on the sampled keys, faded as a shadow's
    private bool _realChain;   // with _self: the pool has hit every block of the current request so far
    private bool _inChargeFifo;            // the order in charge after the last sampled reference

    public AnonymousShadowPair(int tierCapacity, AgentPolicyOptions options, RequestSizeGate? gate, uint rate)
    {
        _tierCapacity = tierCapacity;
        _realSteps = options.AnonymousShadowRealSteps;
        _smallQueueCap = options.AnonymousSmallQueueCap;
        _pairedMinimum = options.AnonymousPairedMinimum;
        _gate = gate;
        _inChargeFifo = true;
        Restart(rate, scaled: false);
    }

    /// <summary>The ARC order's faded hit count (a sample's, unscaled): its shadow's, or the pool's while in charge with
    /// <see cref="AgentPolicyOptions.AnonymousSelfShadow"/>.</summary>
    public double ArcHits => _self && !_inChargeFifo ? _realHits : _arc.Hits;

    /// <summary>The S3-FIFO order's faded hit count (a sample's, unscaled), as <see cref="ArcHits"/>.</summary>
    public double FifoHits => _self && _inChargeFifo ? _realHits : _fifo.Hits;

    /// <summary>Both shadows, fresh, over a 1-in-<paramref name="rate"/> key sample at 1/rate of the tier, read at
    /// <paramref name="rate"/> times their counts when <paramref name="scaled"/>.</summary>
    public void Restart(uint rate, bool scaled)
    {
        _sampleRate = Math.Max(1, rate);
        int shadowCapacity = ShadowCapacity(_sampleRate);
        if (_preparedArc is not null && _preparedFifo is not null && _preparedRate == _sampleRate)
        {
            _arc = _preparedArc;
            _fifo = _preparedFifo;
        }
        else
        {
            _arc = new ArcShadow(shadowCapacity, !_realSteps);
            _fifo = new S3FifoShadow(shadowCapacity, _smallQueueCap, _gate);
        }

        _preparedArc = null;
        _preparedFifo = null;
        _keep = 1 - (1.0 / (ShadowMemory * shadowCapacity));
        _scale = scaled ? _sampleRate : 1;
        _arcOnly = 0;
        _fifoOnly = 0;
        _realHits = 0;
    }

    /// <summary>
    /// Whether the order in charge is its own shadow (<see cref="AgentPolicyOptions.AnonymousSelfShadow"/>; the pool
    /// turns it on once its blocks fill the tier and off for good once a session's block takes room; the first switch
    /// turns it off for good too). Turned off, the
    /// idle shadow of the order in charge resumes with the pool's count and the blocks it last held.
    /// </summary>
    public bool SelfShadow
    {
        get => _self;
        set
        {
            if (_self && !value)
            {
                (_inChargeFifo ? _fifo : (AnonymousShadow)_arc).Hits = _realHits;
            }
            else if (!_self && value)
            {
                _realHits = _inChargeFifo ? _fifo.Hits : _arc.Hits;
            }

            _self = value;
        }
    }

    /// <summary>
    /// Builds, fresh, the shadows a later <see cref="Restart"/> at <paramref name="rate"/> takes: that restart comes in
    /// the middle of a replay (once the request-size gate settles), where building them allocated about 0.75 MB at
    /// Mooncake 5% and faulted its pages in on the hot path. A shadow's construction reads nothing that changes.
    /// </summary>
    public void Prepare(uint rate)
    {
        _preparedRate = Math.Max(1, rate);
        int shadowCapacity = ShadowCapacity(_preparedRate);
        _preparedArc = new ArcShadow(shadowCapacity, !_realSteps);
        _preparedFifo = new S3FifoShadow(shadowCapacity, _smallQueueCap, _gate);
    }

    private int ShadowCapacity(uint rate) => Math.Max(1, _tierCapacity / (int)rate);

    /// <summary>
    /// Replays the reference of no session to <paramref name="key"/> at <paramref name="depth"/> (if sampled); returns
    /// true when the order not in charge (ARC's while <paramref name="useFifo"/>, else S3-FIFO's) should take over, and
    /// the caller then switches. <paramref name="hit"/>: the block was in the pool (read only with
    /// <see cref="AgentPolicyOptions.AnonymousSelfShadow"/>).
    /// </summary>
    public bool Reference(in BlockKey key, int depth, bool useFifo, bool hit)
    {
        // A sampled shadow sees a few blocks of each request: where requests start is told, not read from its depths.
        bool starts = depth <= _lastDepth;
        _requestStarted |= starts;
        _lastDepth = depth;

        // The pool's hit counts as a shadow's does: only in the request's leading run of resident blocks.
        _realChain = (_realChain || starts) && hit;
        if (_sampleRate > 1 && (uint)((key.Low * 0x9E3779B97F4A7C15UL) >> 40) % _sampleRate != 0)
        {
            return false;
        }

        if (_self)
        {
            return SelfReference(key, depth, useFifo);
        }

        starts = _requestStarted;
        _requestStarted = false;
        ArcShadow arc = _arc;
        S3FifoShadow fifo = _fifo;
        arc.Hits *= _keep;
        fifo.Hits *= _keep;
        bool arcHit = arc.Reference(key, depth, starts);
        bool fifoHit = fifo.Reference(key, depth, starts);
        bool switches = _pairedMinimum > 0 ? PairedLead(arcHit, fifoHit, useFifo) : UnpairedLead(arc.Hits, fifo.Hits, useFifo);
        _inChargeFifo = useFifo != switches;
        return switches;
    }

    /// <summary>
    /// Switch only when the other order's lead exceeds one standard deviation of a difference of two counts: switching
    /// costs (the new order inherits the old one's choices), and early on a few blocks' difference is noise.
    /// </summary>
    private bool UnpairedLead(double arcHits, double fifoHits, bool useFifo)
    {
        double lead = useFifo ? arcHits - fifoHits : fifoHits - arcHits;
        return lead > 0 && lead * lead * _scale > arcHits + fifoHits;
    }

    /// <summary>
    /// <see cref="Reference"/> of a sampled key with the order in charge as its own shadow: the other order's shadow
    /// replays it, the pool's leading-run hit stands for the one in charge, and both go to the same test. At a switch
    /// the shadow of the order handing over, idle while that order was in charge, takes the pool's count and both
    /// shadows replay from then on: kept idle between switches, its stale blocks delayed the switch back and cost 0.45
    /// points on Mooncake synthetic at 5% (docs/policies/agent-research-log.md, session 17, speed18). Mooncake conversation never switches.
    /// </summary>
    private bool SelfReference(in BlockKey key, int depth, bool useFifo)
    {
        bool starts = _requestStarted;
        _requestStarted = false;
        _inChargeFifo = useFifo;
        AnonymousShadow other = useFifo ? _arc : _fifo;
        bool realHit = _realChain;
        _realHits = (_realHits * _keep) + (realHit ? 1 : 0);
        other.Hits *= _keep;
        bool otherHit = other.Reference(key, depth, starts);
        bool switches = _pairedMinimum > 0
            ? PairedLead(useFifo ? otherHit : realHit, useFifo ? realHit : otherHit, useFifo)
            : UnpairedLead(useFifo ? other.Hits : _realHits, useFifo ? _realHits : other.Hits, useFifo);
        if (switches)
        {
            // The shadow of the order handing over was idle while it was in charge: from here both shadows replay.
            SelfShadow = false;
            _inChargeFifo = !useFifo;
        }

        return switches;
    }

    /// <summary>
    /// McNemar's test on the two shadows' paired outcomes: the references both hit or both miss say nothing about which
    /// order is better, so only the discordant ones count, and the order in charge changes when the other's lead among
    /// them exceeds two standard deviations (z = 2, about 95%) once there are enough of them for the normal
    /// approximation (the option's minimum; the textbook asks for at least 25).
    /// </summary>
    private bool PairedLead(bool arcHit, bool fifoHit, bool useFifo)
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
        double lead = useFifo ? _arcOnly - _fifoOnly : _fifoOnly - _arcOnly;
        return discordant >= _pairedMinimum && lead > 0 && lead * lead > 4 * discordant;
    }
}
