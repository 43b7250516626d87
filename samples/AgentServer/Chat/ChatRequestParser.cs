using System.Text;
using System.Text.Json;

namespace AgentServer.Chat;

/// <summary>Reads and validates a chat-completions body; anything wrong is a <see cref="RequestRefusedException"/> naming the field.</summary>
internal static class ChatRequestParser
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ChatRequest Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new RequestRefusedException(
                $"The body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {ex.BytePositionInLine ?? 0}): {ex.Message}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new RequestRefusedException($"The body must be a JSON object, not {root.ValueKind}.");
            }

            if (!root.TryGetProperty("messages", out JsonElement messages))
            {
                throw new RequestRefusedException("'messages' is required: the conversation, at least one message.", "messages");
            }

            if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                throw new RequestRefusedException($"'messages' must be a non-empty array, not {Describe(messages)}.", "messages");
            }

            var parsed = new List<ChatMessage>();
            int index = 0;
            foreach (JsonElement m in messages.EnumerateArray())
            {
                parsed.Add(Message(m, index++));
            }

            List<ToolDefinition> tools = Tools(root);
            (int? maxTokens, string? maxTokensField) = MaxTokens(root);
            GenerationFields.CheckChoices(root);
            return new ChatRequest
            {
                Model = Model(root),
                Messages = parsed,
                Tools = tools,
                ForcedTool = ForcedTool(root, tools),
                MaxTokens = maxTokens,
                MaxTokensField = maxTokensField,
                Stop = GenerationFields.Stop(root),
                Stream = OptionalBool(root, "stream", "stream"),
                IncludeUsage = StreamOptions(root) is { } so && OptionalBool(so, "include_usage", "stream_options.include_usage"),
                User = OptionalString(root, "user"),
            };
        }
    }

    private static ChatMessage Message(JsonElement m, int index)
    {
        string at = $"messages[{index}]";
        if (m.ValueKind != JsonValueKind.Object)
        {
            throw new RequestRefusedException($"'{at}' must be an object, not {Describe(m)}.", at);
        }

        string role = OptionalString(m, "role") ?? throw new RequestRefusedException($"'{at}.role' is required.", at + ".role");
        if (!Roles.Contains(role))
        {
            throw new RequestRefusedException($"'{at}.role' is '{role}'; expected one of {string.Join(", ", Roles)}.", at + ".role");
        }

        string content = Content(m, at);
        var calls = new List<ToolCall>();
        if (m.TryGetProperty("tool_calls", out JsonElement toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            int c = 0;
            foreach (JsonElement call in toolCalls.EnumerateArray())
            {
                string where = $"{at}.tool_calls[{c++}]";
                JsonElement function = call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out JsonElement f)
                    ? f : throw new RequestRefusedException($"'{where}.function' is required.", where);
                calls.Add(new ToolCall(OptionalString(call, "id") ?? string.Empty,
                    OptionalString(function, "name") ?? throw new RequestRefusedException($"'{where}.function.name' is required.", where),
                    OptionalString(function, "arguments") ?? "{}"));
            }
        }

        if (content.Length == 0 && calls.Count == 0 && role != "assistant")
        {
            throw new RequestRefusedException($"'{at}.content' is required for a {role} message.", at + ".content");
        }

        return new ChatMessage(role, content, calls, OptionalString(m, "tool_call_id"));
    }

    private static string Content(JsonElement m, string at)
    {
        if (!m.TryGetProperty("content", out JsonElement content) || content.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new RequestRefusedException($"'{at}.content' must be a string or an array of parts, not {Describe(content)}.", at + ".content");
        }

        var sb = new StringBuilder();
        foreach (JsonElement part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || OptionalString(part, "type") != "text")
            {
                throw new RequestRefusedException($"'{at}.content' holds a part that is not text; this server reads text only.", at + ".content");
            }

            sb.Append(OptionalString(part, "text"));
        }

        return sb.ToString();
    }

    private static List<ToolDefinition> Tools(JsonElement root)
    {
        var tools = new List<ToolDefinition>();
        if (!root.TryGetProperty("tools", out JsonElement array) || array.ValueKind == JsonValueKind.Null)
        {
            return tools;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new RequestRefusedException($"'tools' must be an array, not {Describe(array)}.", "tools");
        }

        int i = 0;
        foreach (JsonElement tool in array.EnumerateArray())
        {
            string at = $"tools[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("function", out JsonElement function)
                || OptionalString(function, "name") is not { Length: > 0 } name)
            {
                throw new RequestRefusedException($"'{at}' must be {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}.", at);
            }

            JsonElement parameters = function.TryGetProperty("parameters", out JsonElement p) ? p.Clone() : default;
            tools.Add(new ToolDefinition(name, tool.GetRawText(), parameters));
        }

        return tools;
    }

    private static ToolDefinition? ForcedTool(JsonElement root, List<ToolDefinition> tools)
    {
        if (!root.TryGetProperty("tool_choice", out JsonElement choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            string value = choice.GetString()!;
            return value switch
            {
                "none" or "auto" => null,
                "required" when tools.Count > 0 => tools[0],
                "required" => throw new RequestRefusedException("'tool_choice' is 'required' but the request has no 'tools'.", "tool_choice"),
                _ => throw new RequestRefusedException($"'tool_choice' is '{value}'; expected none, auto, required or a function.", "tool_choice"),
            };
        }

        string? name = choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out JsonElement f)
            ? OptionalString(f, "name") : null;
        return tools.FirstOrDefault(t => t.Name == name)
            ?? throw new RequestRefusedException($"'tool_choice' names function '{name}', which is not among the request's tools.", "tool_choice");
    }

    /// <summary>The <c>model</c> named, empty when absent or null; a number or an object is refused rather than read as none.</summary>
    private static string Model(JsonElement root)
    {
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        return model.ValueKind == JsonValueKind.String
            ? model.GetString()!
            : throw new RequestRefusedException($"'model' must be a string, not {Describe(model)}.", "model");
    }

    /// <summary>
    /// <c>max_completion_tokens</c>, else the older <c>max_tokens</c> (vLLM reads them in that order), and which one it
    /// was; a number that is not a positive integer (0, -3, 1.5) or a string is refused, naming the field.
    /// </summary>
    private static (int? Tokens, string? Field) MaxTokens(JsonElement root)
    {
        foreach (string field in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(field, out JsonElement value) && value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n) || n < 1)
                {
                    throw new RequestRefusedException($"'{field}' must be a positive integer, not {value.GetRawText()}.", field);
                }

                return (n, field);
            }
        }

        return (null, null);
    }

    /// <summary>A boolean field, false when absent or null; a string such as "true" is refused, as OpenAI does, not read as false.</summary>
    private static bool OptionalBool(JsonElement e, string name, string param)
    {
        if (!e.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : throw new RequestRefusedException($"'{param}' must be true or false, not {Describe(v)}.", param);
    }

    private static JsonElement? StreamOptions(JsonElement root)
    {
        if (!root.TryGetProperty("stream_options", out JsonElement so) || so.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return so.ValueKind == JsonValueKind.Object
            ? so
            : throw new RequestRefusedException($"'stream_options' must be an object, not {Describe(so)}.", "stream_options");
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "an empty array",
        JsonValueKind.String => $"the string \"{e.GetString()}\"",
        _ => e.ValueKind.ToString().ToLowerInvariant(),
    };
}
