namespace AgentServer.Remote;

/// <summary>What the remote tier's connection logs (event ids 400–403; docs/reliability.md, "The remote tier").</summary>
internal static partial class RemoteTierLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Remote tier: connected to {Endpoints}, namespace '{Namespace}', {Blocks} blocks, operation timeout {Timeout}")]
    public static partial void Connected(ILogger logger, string endpoints, string @namespace, int blocks, TimeSpan timeout);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning,
        Message = "Remote tier: {Endpoints} does not answer at start; serving without it (its blocks miss, demotions to it are dropped) until it does")]
    public static partial void NotReachable(ILogger logger, string endpoints);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning,
        Message = "Remote tier: lost {EndPoint} ({FailureType}: {Reason}); serving without it (its blocks miss, demotions to it are dropped) until it is back")]
    public static partial void Lost(ILogger logger, string endPoint, string failureType, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Remote tier: {EndPoint} is back")]
    public static partial void Restored(ILogger logger, System.Net.EndPoint? endPoint);
}
