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
    /// Pings each endpoint of <paramref name="connection"/> that is not connected; the first whose failure is an
    /// authentication failure, or null when none is (down, unreachable, or connected after all).
    /// </summary>
    /// <remarks>Runs once, at connect time: each ping fails at once (the connection fails fast while disconnected).</remarks>
    public static Refused? Refusal(IConnectionMultiplexer connection)
    {
        foreach (EndPoint endPoint in connection.GetEndPoints())
        {
            IServer server = connection.GetServer(endPoint);
            if (server.IsConnected)
            {
                continue;
            }

            try
            {
                server.Ping();
            }
            catch (RedisConnectionException ex) when (IsAuthenticationFailure(ex))
            {
                return new Refused(endPoint, ServerReply(ex), ex);
            }
            catch (Exception ex) when (RedisBackoff.IsFault(ex))
            {
                // Down, unreachable or slow: an outage, which the tier rides out.
            }
        }

        return null;
    }

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
