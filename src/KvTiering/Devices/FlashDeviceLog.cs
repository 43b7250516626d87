using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>The flash device's log messages, source-generated.</summary>
internal static partial class FlashDeviceLog
{
    [LoggerMessage(EventId = 40, EventName = "FlashBufferedFallback", Level = LogLevel.Warning,
        Message = "KvTiering flash file '{Path}' uses buffered I/O, not O_DIRECT: {Reason}")]
    public static partial void BufferedFallback(ILogger logger, string path, string reason);
}
