using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>Seeded agent-like messages: a long system prompt, then a task.</summary>
public static class Conversation
{
    public static readonly string System =
        "You are a coding agent. You read files, run commands and edit code until the task is done. " +
        "Prefer small, verified steps. Report what you changed and how you checked it. " +
        string.Concat(Enumerable.Range(0, 3).Select(i => $"Rule {i}: keep the build green and the tests honest. "));

    public static List<ChatMessage> FirstTurn(string task) =>
    [
        new SystemChatMessage(System),
        new UserChatMessage(task),
    ];

    public static ChatTool ReadFileTool { get; } = ChatTool.CreateFunctionTool("read_file", "Reads a file.",
        BinaryData.FromString("""{"type":"object","properties":{"path":{"type":"string"},"max_lines":{"type":"integer"}},"required":["path"]}"""));
}
