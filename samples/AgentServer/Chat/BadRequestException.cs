namespace AgentServer.Chat;

/// <summary>A request the server refuses with 400; the message says what is wrong and with which value.</summary>
internal sealed class BadRequestException(string message, string? param = null, string? code = null) : Exception(message)
{
    /// <summary>The request field at fault (OpenAI's <c>error.param</c>).</summary>
    public string? Param { get; } = param;

    /// <summary>OpenAI's <c>error.code</c>, e.g. <c>context_length_exceeded</c>.</summary>
    public string? Code { get; } = code;
}
