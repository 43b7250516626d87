namespace AgentServer.Events;

/// <summary>What the server's KV-event publishing logs (event ids 300–306; docs/serving.md, "KV events").</summary>
internal static partial class ServerKvEventsLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Publishing KV events on {Endpoint} (replay {ReplayEndpoint}), block hashes sha256_cbor with seed '{HashSeed}', {BlockSize} tokens a block")]
    public static partial void Publishing(ILogger logger, string endpoint, string replayEndpoint, string hashSeed, int blockSize);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning,
        Message = "KV events: the store's event queue overflowed ({Dropped} dropped); every published block is cleared, the store followed afresh and what it holds published again")]
    public static partial void Resync(ILogger logger, long dropped);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "KV events: following the store failed; published AllBlocksCleared and stopped")]
    public static partial void PumpFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information,
        Message = "KV events: {Found} snapshots found in the store that this run did not save (of {Read} blocks read); publishing their blocks")]
    public static partial void Found(ILogger logger, int found, int read);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error,
        Message = "KV events: the store's event queue overflowed again ({Dropped} dropped) after {Snapshots} resyncs in the window; following the store without a snapshot: prompts saved before are not published until the publisher has caught up and a snapshot is tried again")]
    public static partial void Incomplete(ILogger logger, long dropped, int snapshots);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "KV events: caught up with the store; taking a snapshot again to publish what it holds")]
    public static partial void Retry(ILogger logger);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "KV events: the pump did not finish in 10 s at shutdown; events may be lost")]
    public static partial void PumpStuck(ILogger logger);
}
