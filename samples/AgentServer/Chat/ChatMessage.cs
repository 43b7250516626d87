namespace AgentServer.Chat;

/// <summary>One message of a chat request, as the template renders it.</summary>
/// <param name="Role">system, developer, user, assistant or tool.</param>
/// <param name="Content">The text (text parts joined); empty for an assistant turn that only called tools.</param>
/// <param name="ToolCalls">An assistant message's tool calls, in order.</param>
/// <param name="ToolCallId">A tool message's <c>tool_call_id</c>.</param>
internal sealed record ChatMessage(string Role, string Content, IReadOnlyList<ToolCall> ToolCalls, string? ToolCallId);
