using KvTiering.Blocks;
using KvTiering.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>
/// Logs the blocks a store dropped because they could not be read back intact the way <see cref="WriteFailureLog"/>
/// logs failed writes: per tier, the first of a run in full (<c>ChecksumFailure</c>, event 3), the ones after it within
/// <see cref="WriteFailureLog.Interval"/> only counted, and the first after the interval one summary of them all
/// (<c>ChecksumFailuresRepeated</c>, event 12). The tier's checksum-failure counter still counts every one.
/// </summary>
/// <remarks>
/// A device answers a read it cannot serve with one answer, whatever the cause: bytes that fail their checksum or seal,
/// a value a remote server lost, a server that is down. So a remote tier that is down or was restarted empty drops
/// every block the store asks it for, and each had logged a warning: 40 and 127 lines in two parts of the remote-tier
/// drill (docs/reliability.md). The device's own meter says which cause it was.
/// </remarks>
internal sealed class ChecksumFailureLog
{
    private readonly ILogger _logger;
    private readonly string _store;
    private readonly FailureRuns _runs;

    /// <param name="logger">The store's logger.</param>
    /// <param name="store">The store's name, as its log lines carry it.</param>
    /// <param name="time">The store's clock.</param>
    /// <param name="tiers">How many tiers the store has (one run of failures each).</param>
    public ChecksumFailureLog(ILogger logger, string store, TimeProvider time, int tiers)
    {
        _logger = logger;
        _store = store;
        _runs = new FailureRuns(time, tiers, WriteFailureLog.Interval);
    }

    /// <summary>Logs (or only counts toward the next summary) a dropped block of a tier.</summary>
    /// <param name="tierIndex">The tier's index in the store (0 is the top).</param>
    /// <param name="tierName">The tier's name.</param>
    /// <param name="key">The block that was dropped.</param>
    public void Dropped(int tierIndex, string tierName, in BlockKey key)
    {
        if (!_logger.IsEnabled(LogLevel.Warning) || !_runs.ShouldLog(tierIndex, out long heldBack, out double seconds))
        {
            return;
        }

        if (heldBack == 0)
        {
            Log.ChecksumFailure(_logger, _store, tierName, key);
        }
        else
        {
            Log.ChecksumFailuresRepeated(_logger, _store, heldBack + 1, tierName, seconds, key);
        }
    }
}
