namespace AgentServer.Chat;

/// <summary>A function call: the id the client echoes back, the function's name and its arguments as JSON text.</summary>
internal sealed record ToolCall(string Id, string Name, string Arguments);
