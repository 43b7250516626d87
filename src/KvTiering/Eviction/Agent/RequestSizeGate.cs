namespace KvTiering.Eviction;

/// <summary>
/// Whether requests of no session are small enough, against the tier, for S3-FIFO's small queue to learn its size
/// from ghost hits (<see cref="SmallQueueTarget"/>): open while the mean request (in blocks) is at most
/// 1/<c>ratio</c> of the tier's capacity, so that S3-FIFO's fixed tenth holds several requests.
/// </summary>
/// <remarks>
/// A learned target moves by at least a block per ghost hit, as ARC's p does (Megiddo and Modha, FAST 2003), and a
/// request's returning tail is a run of ghost hits: when one request is a large share of the tier, a single request
/// moves the target by a large share of its range, and it swings from bound to bound (docs/policies/agent-research-log.md, rule 11,
/// sessions 14 and 15: session-less WEKA requests are 1,776 blocks, 13% of the 2.5% tier; Mooncake's are 24–31). The
/// mean is a running mean over the first 256 requests, then an exponential one with that weight. The gate stays shut
/// until 8 requests have ended.
/// </remarks>
internal sealed class RequestSizeGate
{
    private const int Warmup = 8;
    private const int Memory = 256;

    private readonly double _most;
    private int _lastDepth = int.MaxValue;
    private int _length;
    private long _requests;
    private double _mean;

    /// <param name="capacity">Blocks of the tier.</param>
    /// <param name="ratio">The gate is open while the mean request is at most capacity / ratio blocks.</param>
    public RequestSizeGate(int capacity, double ratio)
    {
        _most = capacity / Math.Max(1.0, ratio);
    }

    /// <summary>Whether the mean request is small enough (after <c>8</c> requests).</summary>
    public bool Open { get; private set; }

    /// <summary>Whether the mean covers as many requests as it remembers (<c>256</c>), no longer its first few.</summary>
    public bool Settled => _requests >= Memory;

    /// <summary>The running mean request length in blocks (0 before the first request ends).</summary>
    public double MeanRequest => _mean;

    /// <summary>A block of no session at <paramref name="depth"/> is referenced; no deeper than the last starts a request.</summary>
    public void Reference(int depth)
    {
        if (depth <= _lastDepth && _length > 0)
        {
            _requests++;
            _mean += (_length - _mean) / Math.Min(_requests, Memory);
            Open = _requests >= Warmup && _mean <= _most;
            _length = 0;
        }

        _lastDepth = depth;
        _length++;
    }
}
