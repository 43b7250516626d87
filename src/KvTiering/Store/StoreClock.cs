using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// The store's clock: seconds since the store was built, read from its <see cref="TimeProvider"/> (the harness drives
/// a replay clock through the same provider, so a replay runs the code a server runs). It is what a policy's
/// <see cref="TierView"/> asks for the time and the chain's length.
/// </summary>
/// <remarks>
/// While a batch of queued lock-free hits is handed to the policies, the whole batch shares one reading
/// (<see cref="BeginBatch"/>): a clock read costs more than an LRU update, and the batch's hits are all "now" to
/// whoever drains them.
/// </remarks>
internal sealed class StoreClock : ITierHost
{
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private double _batchNow = double.NaN;

    public StoreClock(TimeProvider time, int tierCount)
    {
        _time = time;
        _startTimestamp = time.GetTimestamp();
        TierCount = tierCount;
    }

    /// <inheritdoc/>
    public int TierCount { get; }

    /// <summary>Seconds since the store was built; during a drained batch, the batch's one reading.</summary>
    public double NowSeconds => !double.IsNaN(_batchNow) ? _batchNow : ElapsedSeconds();

    /// <summary>While <see cref="TieredKvStore.Hint(long, SessionHint, int)"/> runs: the response's length in tokens; −1 otherwise.</summary>
    public int HintResponseTokens { get; set; } = -1;

    /// <summary>Freezes the clock at one reading for a batch of queued hits. Call under the store's lock.</summary>
    public void BeginBatch() => _batchNow = ElapsedSeconds();

    /// <summary>Unfreezes the clock after <see cref="BeginBatch"/>.</summary>
    public void EndBatch() => _batchNow = double.NaN;

    private double ElapsedSeconds() => (_time.GetTimestamp() - _startTimestamp) / (double)_time.TimestampFrequency;
}
