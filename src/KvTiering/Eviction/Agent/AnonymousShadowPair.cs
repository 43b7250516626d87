using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// Rule 11's two shadow caches (<see cref="ArcShadow"/>, <see cref="S3FifoShadow"/>) and the test that reads them: each
/// reference of no session is replayed into both (or, sampled, only a 1-in-R share of the keys), their hits fade, and
/// <see cref="Reference"/> says when the order not in charge has led by enough to take over.
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
    private ArcShadow _arc = null!;
    private S3FifoShadow _fifo = null!;
    private ArcShadow? _preparedArc;       // the shadows a restart at _preparedRate takes (Prepare), or null
    private S3FifoShadow? _preparedFifo;
    private uint _preparedRate;
    private uint _sampleRate;
    private DivisibilityTest _sampled;     // whether a key's hash falls in the 1-in-_sampleRate sample
    private double _keep;
    private double _scale;
    private int _lastDepth = int.MaxValue; // of the last reference of no session
    private bool _requestStarted;          // since the shadows' last reference
    private double _arcOnly;   // references the ARC shadow hit and the S3-FIFO shadow missed, decayed
    private double _fifoOnly;  // and the other way round

    public AnonymousShadowPair(int tierCapacity, AgentPolicyOptions options, RequestSizeGate? gate, uint rate)
    {
        _tierCapacity = tierCapacity;
        _realSteps = options.AnonymousShadowRealSteps;
        _smallQueueCap = options.AnonymousSmallQueueCap;
        _pairedMinimum = options.AnonymousPairedMinimum;
        _gate = gate;
        Restart(rate, scaled: false);
    }

    /// <summary>The ARC shadow's faded hit count (a sample's, unscaled).</summary>
    public double ArcHits => _arc.Hits;

    /// <summary>The S3-FIFO shadow's faded hit count (a sample's, unscaled).</summary>
    public double FifoHits => _fifo.Hits;

    /// <summary>Both shadows, fresh, over a 1-in-<paramref name="rate"/> key sample at 1/rate of the tier, read at
    /// <paramref name="rate"/> times their counts when <paramref name="scaled"/>.</summary>
    public void Restart(uint rate, bool scaled)
    {
        _sampleRate = Math.Max(1, rate);
        _sampled = new DivisibilityTest(_sampleRate);
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
    /// true when the order not in charge (ARC's while <paramref name="useFifo"/>, else S3-FIFO's) should take over.
    /// </summary>
    public bool Reference(in BlockKey key, int depth, bool useFifo)
    {
        // A sampled shadow sees a few blocks of each request: where requests start is told, not read from its depths.
        _requestStarted |= depth <= _lastDepth;
        _lastDepth = depth;
        if (_sampleRate > 1 && !_sampled.Divides((uint)((key.Low * 0x9E3779B97F4A7C15UL) >> 40)))
        {
            return false;
        }

        bool starts = _requestStarted;
        _requestStarted = false;
        ArcShadow arc = _arc;
        S3FifoShadow fifo = _fifo;
        arc.Hits *= _keep;
        fifo.Hits *= _keep;
        bool arcHit = arc.Reference(key, depth, starts);
        bool fifoHit = fifo.Reference(key, depth, starts);
        if (_pairedMinimum > 0)
        {
            return PairedLead(arcHit, fifoHit, useFifo);
        }

        // Switch only when the other order's lead exceeds one standard deviation of a difference of two counts:
        // switching costs (the new order inherits the old one's choices), and early on a few blocks' difference is noise.
        double lead = useFifo ? arc.Hits - fifo.Hits : fifo.Hits - arc.Hits;
        return lead > 0 && lead * lead * _scale > arc.Hits + fifo.Hits;
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
