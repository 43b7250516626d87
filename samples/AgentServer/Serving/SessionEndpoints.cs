using AgentServer.Engine;
using KvTiering.Eviction;
using KvTiering.Store;

namespace AgentServer.Serving;

/// <summary>
/// <c>DELETE /v1/sessions/{id}</c>: the agent framework says a session is over (the user closed the tab, the CLI
/// exited, the sub-agent returned), and the store is told <see cref="SessionHint.Closed"/>, so the session's private
/// blocks are the first to go (docs/policies/agent.md, rule 8; what the signal is worth: agent-research-log.md, "Session 20, gap21").
/// </summary>
internal static class SessionEndpoints
{
    /// <summary>The longest session name the endpoint accepts, in characters.</summary>
    public const int MaxIdLength = 256;

    /// <summary>
    /// 204 once the store is told; 404 for a session the store has no record of (no hint, no ledger entry); 400, naming
    /// the id, for an id no client could have sent (blank, control characters, over <see cref="MaxIdLength"/> characters).
    /// </summary>
    public static async Task CloseAsync(HttpContext http, string id, TieredKvStore store, SessionHintLog hints)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength || id.Any(char.IsControl))
        {
            string shown = id.Length > 40 ? id[..40] + "…" : id;
            await HttpExchange.WriteErrorAsync(http, StatusCodes.Status400BadRequest,
                $"'{shown}' is not a session id: an id is 1 to {MaxIdLength} characters, not blank, without control characters.",
                "invalid_request_error", "id", "invalid_session_id");
            return;
        }

        // The same mapping as the chat endpoint's X-Session-Id or user (SessionIds), so the name a client sent is the one it closes.
        long session = SessionIds.Of(id);
        if (hints.For(session).Count == 0 && (store.Ledger?.ForSession(session).Count ?? 0) == 0)
        {
            await HttpExchange.WriteErrorAsync(http, StatusCodes.Status404NotFound,
                $"The store has no record of session '{id}'.", "invalid_request_error", "id", "session_not_found");
            return;
        }

        store.Hint(session, SessionHint.Closed);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
