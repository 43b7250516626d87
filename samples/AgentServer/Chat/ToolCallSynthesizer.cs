using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace AgentServer.Chat;

/// <summary>
/// Turns a forced tool choice into a tool call. The model's greedy reply is generated as usual (real compute, real
/// tokens); the call's arguments are then filled from the function's JSON schema: strings get the reply's text,
/// integers and numbers the reply's token count, booleans true, arrays and objects empty. A random-weight model never
/// writes a parseable call itself, so this is what makes <c>finish_reason: tool_calls</c> — and the paused hint —
/// reachable, deterministically.
/// </summary>
internal static class ToolCallSynthesizer
{
    public static ToolCall Create(ToolDefinition tool, string reply, int replyTokens, int promptTokens, string session)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (tool.Parameters.ValueKind == JsonValueKind.Object
                && tool.Parameters.TryGetProperty("properties", out JsonElement properties)
                && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty p in properties.EnumerateObject())
                {
                    string type = p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("type", out JsonElement t)
                        && t.ValueKind == JsonValueKind.String ? t.GetString()! : "string";
                    w.WritePropertyName(p.Name);
                    switch (type)
                    {
                        case "integer":
                        case "number":
                            w.WriteNumberValue(replyTokens);
                            break;
                        case "boolean":
                            w.WriteBooleanValue(true);
                            break;
                        case "array":
                            w.WriteStartArray();
                            w.WriteEndArray();
                            break;
                        case "object":
                            w.WriteStartObject();
                            w.WriteEndObject();
                            break;
                        default:
                            w.WriteStringValue(reply);
                            break;
                    }
                }
            }

            w.WriteEndObject();
        }

        string arguments = Encoding.UTF8.GetString(buffer.ToArray());
        ulong id = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{session}|{promptTokens}|{tool.Name}|{arguments}")));
        return new ToolCall(string.Create(CultureInfo.InvariantCulture, $"call_{id:x16}"), tool.Name, arguments);
    }
}
