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
/// ghost|) toward the queue whose ghost was hit). The ghosts are the owner's (<see cref="S3FifoGhosts"/>): the small
/// queue's is S3-FIFO's own ghost, which holds exactly the keys a separate small-queue ghost would (both remember a
/// key leaving the small queue unused, as many as the main queue holds, and forget it when it is inserted again), so
/// only the main queue's ghost is extra, and one probe per miss finds either. The cap keeps the main queue, where
/// blocks used again live, from being squeezed out by a small queue chasing reuse it cannot hold
/// (docs/policies/agent.md, rule 11; agent-research-log.md, session 13).
/// </remarks>
internal sealed class SmallQueueTarget
{
    private readonly double _max;
    private readonly double _tenth;
    private readonly bool _learns;
    private readonly RequestSizeGate? _gate; // while shut: a fixed tenth, as without the option
    private double _learned;

    /// <param name="capacity">Blocks the order holds.</param>
    /// <param name="maxShare">The most of the capacity the small queue may take; 0 keeps it at a tenth.</param>
    /// <param name="gate">When given, the target learns only while the gate is open and is a tenth while it is shut.</param>
    public SmallQueueTarget(int capacity, double maxShare, RequestSizeGate? gate = null)
    {
        _tenth = Math.Max(1, capacity / 10);
        _learned = _tenth;
        _gate = gate;
        _learns = maxShare > 0;
        _max = Math.Max(_tenth, Math.Min(capacity - 1, maxShare * capacity));
    }

    /// <summary>The small queue's target size, in blocks.</summary>
    public double Target => _gate is { Open: false } ? _tenth : _learned;

    /// <summary>Whether the target learns now (the option is on and the gate, if any, open): the main queue's ghost is kept only then.</summary>
    public bool Learning => _learns && _gate is not { Open: false };

    /// <summary>
    /// A key not resident was a ghost of the small queue (<paramref name="ofSmall"/>) or of the main queue, which
    /// remember <paramref name="smallGhosts"/> and <paramref name="mainGhosts"/> keys: the target moves toward the
    /// queue it left, while learning.
    /// </summary>
    public void GhostHit(bool ofSmall, int smallGhosts, int mainGhosts)
    {
        if (!Learning)
        {
            return;
        }

        if (ofSmall)
        {
            _learned = Math.Min(_max, _learned + Math.Max(1.0, (double)mainGhosts / Math.Max(1, smallGhosts)));
        }
        else
        {
            _learned = Math.Max(1, _learned - Math.Max(1.0, (double)smallGhosts / Math.Max(1, mainGhosts)));
        }
    }
}
