using KvTiering.Blocks;
using KvTiering.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>
/// Logs a store's failed promotion writes the way <see cref="WriteFailureLog"/> logs failed block writes: per target
/// tier, the first failure of a run in full (<c>PromotionWriteFailed</c>, event 5, with its exception), the ones after
/// it within <see cref="WriteFailureLog.Interval"/> only counted, and the first after the interval one summary of them
/// all (<c>PromotionFailuresRepeated</c>, event 9: the count, the latest block, tier and reason, no stack trace). A
/// failure after a quiet interval is news again. The tier's write-failure counter still counts every one.
/// </summary>
/// <remarks>
/// A full top tier device (a tmpfs-backed or remote one) fails every promotion a hit below asks for: one warning with
/// a stack trace per lower-tier hit floods the log as writes into a full disk did. The summary is written by the next
/// failure after the interval, not by a timer. Thread-safe: promotions run under the store's lock, but a store's
/// tiers may share one logger with other stores.
/// </remarks>
internal sealed class PromotionFailureLog
{
    private readonly ILogger _logger;
    private readonly string _store;
    private readonly FailureRuns _runs;

    /// <param name="logger">The store's logger.</param>
    /// <param name="store">The store's name, as its log lines carry it.</param>
    /// <param name="time">The store's clock.</param>
    /// <param name="tiers">How many tiers the store has (one run of failures each, by target tier).</param>
    public PromotionFailureLog(ILogger logger, string store, TimeProvider time, int tiers)
    {
        _logger = logger;
        _store = store;
        _runs = new FailureRuns(time, tiers, WriteFailureLog.Interval);
    }

    /// <summary>Logs (or only counts toward the next summary) a failed promotion of <paramref name="key"/>.</summary>
    /// <param name="tierIndex">The target tier's index in the store (0 is the top).</param>
    /// <param name="tierName">The target tier's name.</param>
    /// <param name="key">The block, which stayed where it was.</param>
    /// <param name="fromName">The name of the tier the block stayed in.</param>
    /// <param name="exception">Why the write failed.</param>
    public void Failed(int tierIndex, string tierName, in BlockKey key, string fromName, Exception exception)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        if (!_runs.ShouldLog(tierIndex, out long heldBack, out double seconds))
        {
            return;
        }

        if (heldBack == 0)
        {
            Log.PromotionWriteFailed(_logger, _store, tierName, key, fromName, exception);
        }
        else
        {
            Log.PromotionFailuresRepeated(_logger, _store, heldBack + 1, tierName, seconds, key, fromName, exception.Message);
        }
    }
}
