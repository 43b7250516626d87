namespace AgentServer.Chat;

/// <summary>A validated <c>POST /v1/chat/completions</c> body.</summary>
internal sealed record ChatRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>The function the server must call: the named one, or the first tool for <c>required</c>; null otherwise.</summary>
    public ToolDefinition? ForcedTool { get; init; }

    /// <summary>The reply's limit the request asked for, or null for the server's default.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>The field that set <see cref="MaxTokens"/>: <c>max_completion_tokens</c> or <c>max_tokens</c> (named in a refusal).</summary>
    public string? MaxTokensField { get; init; }

    /// <summary>Strings that end the reply before them (<c>stop</c>); empty for none.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public string? User { get; init; }
}
