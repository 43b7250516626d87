using System.Globalization;
using AgentServer.Chat;

namespace AgentServer.Serving;

/// <summary>
/// How many tokens a request may generate in a context of <c>contextSize</c> tokens: the prompt plus the reply must
/// fit. A request that asks for more is refused with both counts rather than served a reply cut shorter than asked.
/// </summary>
/// <remarks>
/// vLLM's <c>_validate_input</c> (<c>vllm/entrypoints/openai/engine/serving.py</c>) refuses a prompt of at least the
/// context (<c>token_num &gt;= max_model_len</c>) and a prompt plus <c>max_tokens</c> over it, each with a 400; without
/// <c>max_tokens</c> the reply may use what is left. The messages are OpenAI's own for the two cases (code
/// <c>context_length_exceeded</c>), which clients and proxies (LiteLLM, for one) recognise by "maximum context length".
/// </remarks>
internal static class CompletionBudget
{
    public static int MaxTokens(ChatRequest request, int promptTokens, int contextSize, int defaultMaxTokens)
    {
        if (promptTokens >= contextSize)
        {
            throw new RequestRefusedException(string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {contextSize} tokens. However, your messages resulted in {promptTokens} tokens. Please reduce the length of the messages."),
                "messages", "context_length_exceeded");
        }

        int room = contextSize - promptTokens;
        if (request.MaxTokens is not { } asked)
        {
            return Math.Min(defaultMaxTokens, room);
        }

        if (asked > room)
        {
            throw new RequestRefusedException(string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {contextSize} tokens. However, you requested {(long)promptTokens + asked} tokens ({promptTokens} in the messages, {asked} in the completion). Please reduce the length of the messages or completion."),
                request.MaxTokensField, "context_length_exceeded");
        }

        return asked;
    }
}
