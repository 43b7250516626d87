using KvTiering.Blocks;
using Microsoft.Extensions.Logging;

namespace KvTiering.Diagnostics;

/// <summary>
/// Logs a store's failed block writes without flooding the log: per tier, the first failure of a run is logged in full
/// (<c>WriteFailed</c>, with its exception and stack trace), the ones after it within <see cref="Interval"/> are only
/// counted, and the first failure after the interval logs one summary of them all (<c>WriteFailuresRepeated</c>, the
/// count and the latest's reason, no stack trace). A failure after a quiet interval is news again and logged in full.
/// The tier's write-failure counter (<c>kvtiering.write_failures</c>) still counts every failure; this only decides
/// which ones reach the log.
/// </summary>
/// <remarks>
/// A disk that stays full fails every write into a sparse flash file (docs/reliability.md): the soak's ten minutes
/// failed 2.1 million, and each had logged a warning with a stack trace. The summary is written by the next failure
/// after the interval, not by a timer, so a run that stops leaves its last count to the counter.
/// Thread-safe (<see cref="FailureRuns"/>): failures come from the caller's thread and the write-behind worker.
/// </remarks>
internal sealed class WriteFailureLog
{
    /// <summary>The least time between two log lines about one tier's failed writes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private readonly ILogger _logger;
    private readonly string _store;
    private readonly FailureRuns _runs;

    /// <param name="logger">The store's logger.</param>
    /// <param name="store">The store's name, as its log lines carry it.</param>
    /// <param name="time">The store's clock.</param>
    /// <param name="tiers">How many tiers the store has (one run of failures each).</param>
    public WriteFailureLog(ILogger logger, string store, TimeProvider time, int tiers)
    {
        _logger = logger;
        _store = store;
        _runs = new FailureRuns(time, tiers, Interval);
    }

    /// <summary>Logs (or only counts toward the next summary) a failed write of <paramref name="key"/> into a tier.</summary>
    /// <param name="tierIndex">The tier's index in the store (0 is the top).</param>
    /// <param name="tierName">The tier's name.</param>
    /// <param name="key">The block that was dropped.</param>
    /// <param name="exception">Why the write failed.</param>
    public void Failed(int tierIndex, string tierName, in BlockKey key, Exception exception)
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
            Log.WriteFailed(_logger, _store, tierName, key, exception);
        }
        else
        {
            Log.WriteFailuresRepeated(_logger, _store, heldBack + 1, tierName, seconds, key, exception.Message);
        }
    }
}
