using AgentServer.Chat;
using LLama.Native;

namespace AgentServer.Serving;

/// <summary>One admitted chat-completions request on its way to an answer: what it asked, its prompt and its reply's identity.</summary>
internal sealed class Reply(ChatRequest request, LLamaToken[] prompt, int maxTokens, long session, long arrival, string id, long created, string model)
{
    public ChatRequest Request { get; } = request;

    public LLamaToken[] Prompt { get; } = prompt;

    /// <summary>The reply's limit: what the request asked for, which fits the context (<see cref="CompletionBudget"/>).</summary>
    public int MaxTokens { get; } = maxTokens;

    public long Session { get; } = session;

    public long Arrival { get; } = arrival;

    public string Id { get; } = id;

    public long Created { get; } = created;

    public string Model { get; } = model;

    public ToolCall? Call { get; set; }
}
