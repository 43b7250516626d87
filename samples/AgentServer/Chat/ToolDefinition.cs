using System.Text.Json;

namespace AgentServer.Chat;

/// <summary>A function the client offers: its name, and the whole <c>tools[i]</c> entry as the client sent it.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="RawJson">The entry's JSON text, rendered into the prompt byte for byte so a session's prefix stays stable.</param>
/// <param name="Parameters">The function's <c>parameters</c> JSON schema, or an undefined element when absent.</param>
internal sealed record ToolDefinition(string Name, string RawJson, JsonElement Parameters);
