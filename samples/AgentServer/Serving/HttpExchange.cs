using System.Buffers;
using System.Text.Json;
using AgentServer.Chat;
using Microsoft.AspNetCore.Http.Features;

namespace AgentServer.Serving;

/// <summary>The HTTP side of a request: reading its body, and writing an error or one server-sent event.</summary>
internal static class HttpExchange
{
    /// <summary>The whole body; a body Kestrel refuses is a <see cref="RequestRefusedException"/> with Kestrel's status.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var memory = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(memory, request.HttpContext.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's refusal of the body (over its MaxRequestBodySize, 30 MB by default: 413) answered in OpenAI's
            // shape, not as an empty 413 after an error and its stack in the log.
            throw new RequestRefusedException(ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The body is over the {request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes this server accepts."
                : ex.Message, null, null, ex.StatusCode);
        }

        return memory.ToArray();
    }

    /// <summary>An error in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>) with its status.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string message, string type, string? param, string? code)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            ResponseWriter.Error(w, message, type, param, code);
        }

        await http.Response.Body.WriteAsync(buffer.WrittenMemory);
    }

    /// <summary>One server-sent event, <c>data: {json}</c>, flushed at once so the client sees each token as it comes.</summary>
    public static async Task SendEventAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("data: "u8);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        buffer.Write("\n\n"u8);
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
