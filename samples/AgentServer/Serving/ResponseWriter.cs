using System.Text.Json;
using AgentServer.Chat;

namespace AgentServer.Serving;

/// <summary>Writes OpenAI chat-completion JSON: whole responses, stream chunks and errors.</summary>
internal static class ResponseWriter
{
    public static void Completion(Utf8JsonWriter w, string id, long created, string model, Generation g, ToolCall? call, string finish)
    {
        w.WriteStartObject();
        Head(w, id, created, model, "chat.completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (call is null)
        {
            w.WriteString("content", g.Text);
        }
        else
        {
            w.WriteNull("content");
            w.WriteStartArray("tool_calls");
            ToolCallJson(w, call, index: null);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w, g);
        w.WriteEndObject();
    }

    /// <summary>A stream chunk: a role, a text piece, a tool call or a finish reason (null ones are left out).</summary>
    public static void Chunk(Utf8JsonWriter w, string id, long created, string model, bool role, string? text, ToolCall? call, string? finish)
    {
        w.WriteStartObject();
        Head(w, id, created, model, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role)
        {
            w.WriteString("role", "assistant");
            w.WriteString("content", string.Empty);
        }

        if (text is not null)
        {
            w.WriteString("content", text);
        }

        if (call is not null)
        {
            w.WriteStartArray("tool_calls");
            ToolCallJson(w, call, index: 0);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finish is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finish);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The last chunk of a stream that asked for usage: no choices, only the counts.</summary>
    public static void UsageChunk(Utf8JsonWriter w, string id, long created, string model, Generation g)
    {
        w.WriteStartObject();
        Head(w, id, created, model, "chat.completion.chunk");
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, g);
        w.WriteEndObject();
    }

    public static void Error(Utf8JsonWriter w, string message, string type, string? param, string? code)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param is null)
        {
            w.WriteNull("param");
        }
        else
        {
            w.WriteString("param", param);
        }

        if (code is null)
        {
            w.WriteNull("code");
        }
        else
        {
            w.WriteString("code", code);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Head(Utf8JsonWriter w, string id, long created, string model, string kind)
    {
        w.WriteString("id", id);
        w.WriteString("object", kind);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteString("system_fingerprint", "kvtiering-agent-server");
    }

    private static void ToolCallJson(Utf8JsonWriter w, ToolCall call, int? index)
    {
        w.WriteStartObject();
        if (index is { } i)
        {
            w.WriteNumber("index", i);
        }

        w.WriteString("id", call.Id);
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", call.Name);
        w.WriteString("arguments", call.Arguments);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Usage(Utf8JsonWriter w, Generation g)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", g.PromptTokens);
        w.WriteNumber("completion_tokens", g.CompletionTokens);
        w.WriteNumber("total_tokens", g.PromptTokens + g.CompletionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", g.CachedTokens);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
