using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>
/// Logs the blocks a store dropped because their device could not read them back, by the cause the device gives
/// (<see cref="IReadFailureReporting"/>), each the way <see cref="WriteFailureLog"/> logs failed writes: per tier and
/// cause, the first of a run in full, the ones after it within <see cref="WriteFailureLog.Interval"/> only counted, and
/// the first after the interval one summary of them all. Bytes that failed verification (or a device that does not say
/// why) are an integrity event: a warning, <c>ChecksumFailure</c> (event 3) and <c>ChecksumFailuresRepeated</c> (12). A
/// block the device lost or could not reach is not: information, <c>BlockUnavailable</c> (13) and
/// <c>BlocksUnavailableRepeated</c> (14). The tier's counters still count every one.
/// </summary>
/// <remarks>
/// Without the causes, a remote tier that was down or restarted empty logged one integrity warning per block it could
/// not serve (40 and 127 lines in two parts of the remote-tier drill, docs/reliability.md), and a real checksum failure
/// among them could not be told from the rest.
/// </remarks>
internal sealed class ReadFailureLog
{
    private const string LostReason = "the device no longer has it (its slot was emptied or overwritten, or the remote server evicted it or restarted empty), so it was dropped";
    private const string UnreachableReason = "the device could not be reached (the block stays for the next read to try again, unless it was being moved)";
    private const string CorruptDetail = "its bytes are damaged or forged";
    private const string UnknownDetail = "its device does not say why: damaged or forged bytes, or a block it lost or could not reach";

    // One run per tier and cause kind: runs of corrupt, lost and unreachable blocks are news apart.
    private const int Kinds = 3;

    private readonly ILogger _logger;
    private readonly string _store;
    private readonly FailureRuns _runs;

    /// <param name="logger">The store's logger.</param>
    /// <param name="store">The store's name, as its log lines carry it.</param>
    /// <param name="time">The store's clock.</param>
    /// <param name="tiers">How many tiers the store has.</param>
    public ReadFailureLog(ILogger logger, string store, TimeProvider time, int tiers)
    {
        _logger = logger;
        _store = store;
        _runs = new FailureRuns(time, tiers * Kinds, WriteFailureLog.Interval);
    }

    /// <summary>Logs (or only counts toward the next summary) a block of a tier whose read failed for <paramref name="cause"/>.</summary>
    /// <param name="tierIndex">The tier's index in the store (0 is the top).</param>
    /// <param name="tierName">The tier's name.</param>
    /// <param name="key">The block (dropped, or kept when its device could not be reached).</param>
    /// <param name="cause">Why its read failed, as the device said.</param>
    public void ReadFailed(int tierIndex, string tierName, in BlockKey key, ReadFailure cause)
    {
        int kind = cause switch { ReadFailure.Lost => 1, ReadFailure.Unreachable => 2, _ => 0 };
        LogLevel level = kind == 0 ? LogLevel.Warning : LogLevel.Information;
        if (!_logger.IsEnabled(level) || !_runs.ShouldLog((tierIndex * Kinds) + kind, out long heldBack, out double seconds))
        {
            return;
        }

        if (kind == 0)
        {
            string detail = cause == ReadFailure.Corrupt ? CorruptDetail : UnknownDetail;
            if (heldBack == 0)
            {
                Log.ChecksumFailure(_logger, _store, tierName, key, detail);
            }
            else
            {
                Log.ChecksumFailuresRepeated(_logger, _store, heldBack + 1, tierName, seconds, key, detail);
            }

            return;
        }

        string reason = kind == 1 ? LostReason : UnreachableReason;
        string counter = kind == 1 ? "lost-block" : "unreachable-read";
        if (heldBack == 0)
        {
            Log.BlockUnavailable(_logger, _store, tierName, key, reason);
        }
        else
        {
            Log.BlocksUnavailableRepeated(_logger, _store, heldBack + 1, tierName, seconds, reason, key, counter);
        }
    }
}
