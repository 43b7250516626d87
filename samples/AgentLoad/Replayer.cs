using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace AgentLoad;

/// <summary>
/// Replays sessions against one server through the official OpenAI client, all sessions at once, each one turn after
/// another: the conversation grows by the trace's input growth (filler text of about one token per character on the
/// synthetic model's byte-level vocabulary), a trace turn that ended in a tool call forces one, and its result comes
/// back as a tool message.
/// </summary>
internal static class Replayer
{
    private static readonly ChatTool Shell = ChatTool.CreateFunctionTool("run_command", "Runs a shell command.",
        BinaryData.FromString("""{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}"""));

    /// <summary>About what the template's tool block costs (its JSON's spaces are three byte tokens each).</summary>
    private const int ToolBlockTokens = 320;

    public static async Task<List<RequestResult>> RunAsync(string configuration, Uri server, IReadOnlyList<SessionPlan> sessions, LoadOptions o)
    {
        string model = (await ServedModel.GetAsync(server)).Id; // the name the server serves: it answers any other with 404
        var clock = Stopwatch.StartNew();
        List<RequestResult>[] results = await Task.WhenAll(sessions.Select((s, i) => SessionAsync(configuration, server, model, s, i, o, clock)));
        return [.. results.SelectMany(r => r)];
    }

    private static async Task<List<RequestResult>> SessionAsync(string configuration, Uri server, string model, SessionPlan plan, int seed,
        LoadOptions o, Stopwatch clock)
    {
        using var capture = new HeaderCapture();
        using var http = new HttpClient(capture) { Timeout = TimeSpan.FromMinutes(10) };
        var chat = new ChatClient(model, new ApiKeyCredential("not-checked"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(0),
        });
        var random = new Random(seed);
        var results = new List<RequestResult>();
        var messages = new List<ChatMessage>();
        int previousPlanned = 0;
        int previousActual = 0;
        int turnCost = 200;
        ChatToolCall? pendingCall = null;
        string session = $"{plan.Name}-{configuration}";
        for (int k = 0; k < plan.Requests.Count; k++)
        {
            PlannedRequest r = plan.Requests[k];
            double due = plan.StartSeconds + r.AtSeconds;
            if (clock.Elapsed.TotalSeconds < due)
            {
                await Task.Delay(TimeSpan.FromSeconds(due - clock.Elapsed.TotalSeconds));
            }

            // Grow to the trace's size, counting from the last prompt the server actually saw plus what a turn's
            // reply and message wrappers cost (measured on the previous turn).
            int growth = r.PromptTokens - previousActual - turnCost;
            bool reset = false;
            int filler = Math.Max(8, growth);
            if (k == 0 || r.PromptTokens < previousPlanned || previousActual + turnCost + filler > o.ContextSize - o.MaxTokens - 128)
            {
                // A new conversation (the first turn, or the trace's context shrank: compaction or a sub-agent).
                messages = [new SystemChatMessage(Filler(random, Math.Max(8, r.PromptTokens - 48 - ToolBlockTokens))), new UserChatMessage("Start.")];
                pendingCall = null;
                reset = true;
            }
            else if (pendingCall is not null)
            {
                messages.Add(new ToolChatMessage(pendingCall.Id, Filler(random, filler)));
                pendingCall = null;
            }
            else
            {
                messages.Add(new UserChatMessage(Filler(random, filler)));
            }

            var options = new ChatCompletionOptions { MaxOutputTokenCount = o.MaxTokens, EndUserId = session, Tools = { Shell } };
            if (r.EndsInToolCall)
            {
                options.ToolChoice = ChatToolChoice.CreateRequiredChoice();
            }

            (RequestResult result, ChatMessage reply, ChatToolCall? call) = await SendAsync(chat, capture, messages, options, configuration, plan.Name, k);
            results.Add(result);
            messages.Add(reply);
            pendingCall = call;
            if (!reset)
            {
                turnCost = Math.Max(0, result.PromptTokens - previousActual - filler);
            }

            previousPlanned = r.PromptTokens;
            previousActual = result.PromptTokens;
        }

        return results;
    }

    private static async Task<(RequestResult, ChatMessage, ChatToolCall?)> SendAsync(ChatClient chat, HeaderCapture capture,
        List<ChatMessage> messages, ChatCompletionOptions options, string configuration, string session, int index)
    {
        long start = Stopwatch.GetTimestamp();
        double ttft = -1;
        var text = new StringBuilder();
        string? callId = null, callName = null;
        var callArgs = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, options))
        {
            if (ttft < 0)
            {
                ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds; // the server sends its first chunk once the first token is known
            }

            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            foreach (StreamingChatToolCallUpdate call in update.ToolCallUpdates)
            {
                callId ??= call.ToolCallId;
                callName ??= call.FunctionName;
                callArgs.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }

        double total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        ChatToolCall? toolCall = callId is not null
            ? ChatToolCall.CreateFunctionToolCall(callId, callName ?? "run_command", BinaryData.FromString(callArgs.ToString()))
            : null;
        ChatMessage reply = toolCall is not null ? new AssistantChatMessage([toolCall]) : new AssistantChatMessage(text.ToString());
        var result = new RequestResult(configuration, session, index, usage?.InputTokenCount ?? 0,
            usage?.InputTokenDetails?.CachedTokenCount ?? 0, capture.LastSource, ttft, total, usage?.OutputTokenCount ?? 0,
            finish?.ToString() ?? "?");
        return (result, reply, toolCall);
    }

    /// <summary>Seeded lowercase text without spaces: one byte token per character on the synthetic vocabulary.</summary>
    private static string Filler(Random random, int tokens)
    {
        var chars = new char[Math.Max(1, tokens)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)('a' + random.Next(26));
        }

        return new string(chars);
    }
}
