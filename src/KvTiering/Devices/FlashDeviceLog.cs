using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>The flash device's log messages, source-generated.</summary>
internal static partial class FlashDeviceLog
{
    [LoggerMessage(EventId = 40, EventName = "FlashBufferedFallback", Level = LogLevel.Warning,
        Message = "KvTiering flash file '{Path}' uses buffered I/O, not O_DIRECT: {Reason}")]
    public static partial void BufferedFallback(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 41, EventName = "FlashFileRecreated", Level = LogLevel.Warning,
        Message = "KvTiering flash file '{Path}' cannot be used ({Reason}); moved aside to '{Aside}', the tier starts empty")]
    public static partial void FileRecreated(ILogger logger, string path, string reason, string aside);

    [LoggerMessage(EventId = 42, EventName = "FlashBlocksNotRecovered", Level = LogLevel.Warning,
        Message = "KvTiering flash file '{Path}': {LostWrites} blocks with lost payloads and {Forged} unauthenticated blocks were dropped, {Unverified} left unverified by the time budget; {Recovered} recovered")]
    public static partial void BlocksNotRecovered(ILogger logger, string path, long lostWrites, long forged, long unverified, int recovered);

    [LoggerMessage(EventId = 43, EventName = "FlashDeferredVerified", Level = LogLevel.Information,
        Message = "KvTiering flash file '{Path}': background verification recovered {Recovered} blocks the open left unverified, dropped {Dropped}, left {Left} (stopped by disposal) in {Milliseconds:F0} ms")]
    public static partial void DeferredVerified(ILogger logger, string path, long recovered, long dropped, long left, double milliseconds);

    [LoggerMessage(EventId = 44, EventName = "FlashFileResized", Level = LogLevel.Warning,
        Message = "KvTiering flash file '{Path}' was {Length} bytes, not the {Expected} its geometry gives: {What}")]
    public static partial void FileResized(ILogger logger, string path, long length, long expected, string what);

    [LoggerMessage(EventId = 45, EventName = "FlashZeroRangeUnsupported", Level = LogLevel.Information,
        Message = "KvTiering flash file '{Path}': the file system cannot zero a range (fallocate errno {Errno}); a freed slot has its header overwritten with zeros instead, which the next open reads rather than skips")]
    public static partial void ZeroRangeUnsupported(ILogger logger, string path, int errno);
}
