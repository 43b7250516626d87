using Microsoft.Extensions.Logging;

namespace KvTiering.KvEvents;

/// <summary>The KV-event subscriber's log messages, source-generated.</summary>
internal static partial class KvEventsLog
{
    [LoggerMessage(EventId = 310, EventName = "KvEventsReplayTimedOut", Level = LogLevel.Warning,
        Message = "KV events: the replay from sequence {From} at {Endpoint} went {Timeout} without a reply (attempt {Attempt} of {Attempts}); asking again")]
    public static partial void ReplayTimedOut(ILogger logger, long from, string endpoint, TimeSpan timeout, int attempt, int attempts);

    [LoggerMessage(EventId = 311, EventName = "KvEventsReplayFailed", Level = LogLevel.Warning,
        Message = "KV events: the replay from sequence {From} at {Endpoint} failed ({Reason}); what is not known of the publisher is forgotten")]
    public static partial void ReplayFailed(ILogger logger, long from, string endpoint, string reason);

    [LoggerMessage(EventId = 312, EventName = "KvEventsSynced", Level = LogLevel.Information,
        Message = "KV events: connected to {Endpoint}; {Batches} batches replayed from {ReplayEndpoint} (sequence {From} on)")]
    public static partial void Synced(ILogger logger, string endpoint, int batches, string replayEndpoint, long from);

    [LoggerMessage(EventId = 313, EventName = "KvEventsDroppedAtShutdown", Level = LogLevel.Warning,
        Message = "KV events: {Dropped} events were still queued when the publisher on {Endpoint} stopped and were not published (FlushTimeout {FlushTimeout}); subscribers resync from the next run's first batch")]
    public static partial void DroppedAtShutdown(ILogger logger, long dropped, string endpoint, TimeSpan flushTimeout);
}
