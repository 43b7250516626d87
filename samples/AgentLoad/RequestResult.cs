namespace AgentLoad;

/// <summary>What one replayed request measured, client side.</summary>
internal sealed record RequestResult(string Configuration, string Session, int Index, int PromptTokens, int CachedTokens,
    string Source, double TtftMs, double TotalMs, int CompletionTokens, string FinishReason);
