using System.Net;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// Tells a server that refused a new connection's credentials from one that is down: StackExchange.Redis, told not to
/// abort on a failed connect, reports both only as "not connected", and the first is a setting to fix.
/// </summary>
internal static class RedisCredentialCheck
{
    /// <summary>A refusal: the endpoint, the server's reason, and the client's exception for the details.</summary>
    public sealed record Refused(EndPoint EndPoint, string Reason, Exception Exception);

    /// <summary>
    /// Pings each endpoint of <paramref name="connection"/>; the first whose failure is an authentication failure, or
    /// null when none is (each answered, or is down or unreachable for all of <paramref name="patience"/>).
    /// </summary>
    /// <remarks>
    /// Runs once, at connect time. A ping while disconnected fails at once (the connection fails fast), but not always
    /// with the refusal yet: on a loaded machine the handshake's answer can come after <c>Connect</c> returned, or
    /// between reconnects (a CI run saw a wrong password start the tier degraded). So a failure that does not say why
    /// is retried until <paramref name="patience"/> (the connect timeout) has passed; a server that is down costs that
    /// once more at start.
    /// </remarks>
    public static Refused? Refusal(IConnectionMultiplexer connection, TimeSpan patience)
    {
        long deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        foreach (EndPoint endPoint in connection.GetEndPoints())
        {
            IServer server = connection.GetServer(endPoint);
            while (true)
            {
                try
                {
                    server.Ping();
                    break; // connected and let in
                }
                catch (RedisConnectionException ex) when (IsAuthenticationFailure(ex))
                {
                    return new Refused(endPoint, ServerReply(ex), ex);
                }
                catch (RedisServerException ex) when (IsAuthenticationReply(ex.Message))
                {
                    return new Refused(endPoint, ex.Message, ex);
                }
                catch (Exception ex) when (RedisBackoff.IsFault(ex))
                {
                    if (Environment.TickCount64 >= deadline)
                    {
                        break; // down, unreachable or slow: an outage, which the tier rides out
                    }

                    Thread.Sleep(20);
                }
            }
        }

        return null;
    }

    /// <summary>A server's refusal of a command for want of (valid) credentials.</summary>
    private static bool IsAuthenticationReply(string message) =>
        message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal);

    private static bool IsAuthenticationFailure(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The server's words (<c>NOAUTH …</c>, <c>WRONGPASS …</c>) out of the client's message, which puts them after the
    /// failed command and before its diagnostics: "No connection is active…: PING; SimpleError: NOAUTH …, inst: …".
    /// </summary>
    private static string ServerReply(Exception ex)
    {
        string message = ex.Message;
        int start = message.IndexOf("; ", StringComparison.Ordinal);
        if (start < 0)
        {
            return "authentication failure";
        }

        start += 2;
        int end = message.IndexOf(", ", start, StringComparison.Ordinal);
        return (end < 0 ? message[start..] : message[start..end]).Trim();
    }
}
