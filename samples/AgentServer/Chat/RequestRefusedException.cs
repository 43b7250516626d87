namespace AgentServer.Chat;

/// <summary>
/// A request the server refuses before it takes a sequence: a 400 by default (a field at fault), a 404 for a model it
/// does not serve. The message says what is wrong and with which value.
/// </summary>
internal sealed class RequestRefusedException(string message, string? param = null, string? code = null,
    int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    /// <summary>The request field at fault (OpenAI's <c>error.param</c>).</summary>
    public string? Param { get; } = param;

    /// <summary>OpenAI's <c>error.code</c>, e.g. <c>context_length_exceeded</c>.</summary>
    public string? Code { get; } = code;

    /// <summary>The HTTP status: 400, or 404 for an unknown model.</summary>
    public int Status { get; } = status;
}
