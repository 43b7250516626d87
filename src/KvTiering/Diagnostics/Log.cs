using KvTiering.Blocks;
using Microsoft.Extensions.Logging;

namespace KvTiering.Diagnostics;

/// <summary>
/// The store's and the distributed cache's log messages, source-generated so a disabled level costs one check and
/// no allocation. Cache keys are never logged (they may carry user data); block keys are hashes.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "StoreOpened", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}' opened: {Tiers} tiers holding {CapacityBlocks} blocks of up to {BlockBytes} bytes")]
    public static partial void StoreOpened(ILogger logger, string store, int tiers, long capacityBlocks, int blockBytes);

    [LoggerMessage(EventId = 2, EventName = "BlocksRecovered", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}' recovered {Blocks} blocks from tier '{Tier}' ({Skipped} skipped as duplicates or out of range)")]
    public static partial void Recovered(ILogger logger, string store, int blocks, string tier, int skipped);

    [LoggerMessage(EventId = 3, EventName = "ChecksumFailure", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': block {Key} in tier '{Tier}' failed verification ({Detail}) and was dropped (served as a miss)")]
    public static partial void ChecksumFailure(ILogger logger, string store, string tier, BlockKey key, string detail);

    [LoggerMessage(EventId = 4, EventName = "WriteFailed", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': writing block {Key} into tier '{Tier}' failed; the block was dropped")]
    public static partial void WriteFailed(ILogger logger, string store, string tier, BlockKey key, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "PromotionWriteFailed", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': promoting block {Key} into tier '{Tier}' failed; it stays in tier '{From}'")]
    public static partial void PromotionWriteFailed(ILogger logger, string store, string tier, BlockKey key, string from, Exception exception);

    [LoggerMessage(EventId = 6, EventName = "Flushed", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}' flushed {Blocks} blocks toward persistent tier '{Tier}'")]
    public static partial void Flushed(ILogger logger, string store, int blocks, string tier);

    [LoggerMessage(EventId = 7, EventName = "WriteBehindPriorityKept", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}': the write-behind worker keeps its priority: {Reason}")]
    public static partial void WriteBehindPriorityKept(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 8, EventName = "WriteFailuresRepeated", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': {Failures} more writes into tier '{Tier}' failed in the last {Seconds:F0} s and their blocks were dropped (the latest, block {Key}: {Reason}); the tier's write-failure counter has each")]
    public static partial void WriteFailuresRepeated(ILogger logger, string store, long failures, string tier, double seconds, BlockKey key, string reason);

    [LoggerMessage(EventId = 9, EventName = "PromotionFailuresRepeated", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': {Failures} more promotions into tier '{Tier}' failed in the last {Seconds:F0} s and their blocks stayed where they were (the latest, block {Key} from tier '{From}': {Reason}); the tier's write-failure counter has each")]
    public static partial void PromotionFailuresRepeated(ILogger logger, string store, long failures, string tier, double seconds, BlockKey key, string from, string reason);

    [LoggerMessage(EventId = 12, EventName = "ChecksumFailuresRepeated", Level = LogLevel.Warning,
        Message = "KvTiering store '{Store}': {Failures} more blocks in tier '{Tier}' failed verification in the last {Seconds:F0} s and were dropped (served as misses; the latest, block {Key}: {Detail}); the tier's checksum-failure counter has each")]
    public static partial void ChecksumFailuresRepeated(ILogger logger, string store, long failures, string tier, double seconds, BlockKey key, string detail);

    [LoggerMessage(EventId = 13, EventName = "BlockUnavailable", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}': block {Key} in tier '{Tier}' could not be read (served as a miss): {Reason}; not an integrity problem")]
    public static partial void BlockUnavailable(ILogger logger, string store, string tier, BlockKey key, string reason);

    [LoggerMessage(EventId = 14, EventName = "BlocksUnavailableRepeated", Level = LogLevel.Information,
        Message = "KvTiering store '{Store}': {Failures} more blocks in tier '{Tier}' could not be read in the last {Seconds:F0} s (served as misses) because {Reason} (the latest, block {Key}); the tier's {Counter} counter has each")]
    public static partial void BlocksUnavailableRepeated(ILogger logger, string store, long failures, string tier, double seconds, string reason, BlockKey key, string counter);

    [LoggerMessage(EventId = 10, EventName = "CacheValueTooLarge", Level = LogLevel.Warning,
        Message = "KvTiering distributed cache: a value of {Bytes} bytes needs {Blocks} blocks but the store holds {CapacityBlocks}; it was not cached")]
    public static partial void CacheValueTooLarge(ILogger logger, long bytes, long blocks, long capacityBlocks);

    [LoggerMessage(EventId = 11, EventName = "CacheWriteNotStored", Level = LogLevel.Debug,
        Message = "KvTiering distributed cache: the store answered {Result} for a block of a {Bytes}-byte value; the entry was not cached")]
    public static partial void CacheWriteNotStored(ILogger logger, Store.PutResult result, long bytes);
}
