namespace AgentServer.Chat;

/// <summary>A validated <c>POST /v1/chat/completions</c> body.</summary>
internal sealed record ChatRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>The function the server must call: the named one, or the first tool for <c>required</c>; null otherwise.</summary>
    public ToolDefinition? ForcedTool { get; init; }

    public int? MaxTokens { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public string? User { get; init; }
}
