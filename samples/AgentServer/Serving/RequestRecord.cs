namespace AgentServer.Serving;

/// <summary>One served request, as the page and <c>/api/state</c> list it.</summary>
internal sealed record RequestRecord(
    DateTimeOffset Time,
    string Session,
    int PromptTokens,
    int CachedTokens,
    string Source,
    double QueueMs,
    double TtftMs,
    double TotalMs,
    int CompletionTokens,
    string FinishReason,
    string Hint,
    string Save);
