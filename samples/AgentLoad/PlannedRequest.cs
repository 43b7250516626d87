namespace AgentLoad;

/// <summary>One request of a replayed session.</summary>
/// <param name="AtSeconds">When to send it, after the session's start (scaled trace time; never before the previous reply).</param>
/// <param name="PromptTokens">The prompt size to aim for (the trace's input tokens, scaled to the model's context).</param>
/// <param name="EndsInToolCall">Whether the trace's response ended in a tool call: the request then forces one.</param>
internal sealed record PlannedRequest(double AtSeconds, int PromptTokens, bool EndsInToolCall);
