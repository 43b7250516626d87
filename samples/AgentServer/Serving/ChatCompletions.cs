using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using AgentServer.Chat;
using AgentServer.Engine;
using KvTiering.Eviction;
using KvTiering.Store;
using LLama.Native;

namespace AgentServer.Serving;

/// <summary>
/// <c>POST /v1/chat/completions</c>: validate, template, tokenize, wait for a sequence (429 when the queue is full),
/// generate, answer (JSON or server-sent events), then tell the store the session's state from the finish reason:
/// a tool call means the agent is back in seconds (<see cref="SessionHint.Paused"/>), anything else means its user
/// answers next (<see cref="SessionHint.AwaitingUser"/>).
/// </summary>
internal sealed partial class ChatCompletions(LlamaEngine engine, Generator generator, TieredKvStore store, ServerMetrics metrics,
    RequestLog log, ILogger<ChatCompletions> logger)
{
    public const string SessionHeader = "X-Session-Id";
    public const string CachedHeader = "X-KvTiering-Cached-Tokens";
    public const string SourceHeader = "X-KvTiering-Source";
    public const string ExplainHeader = "X-KvTiering-Explain";

    public async Task HandleAsync(HttpContext http)
    {
        long arrival = Stopwatch.GetTimestamp();
        ChatRequest request;
        LLamaToken[] prompt;
        int maxTokens;
        try
        {
            request = ChatRequestParser.Parse(await HttpExchange.ReadBodyAsync(http.Request));
            if (!engine.Serves(request.Model))
            {
                // vLLM's check_model and OpenAI both answer a model they do not serve with 404 (OpenAI's code: model_not_found).
                throw new RequestRefusedException($"The model `{request.Model}` does not exist.", "model", "model_not_found",
                    StatusCodes.Status404NotFound);
            }

            prompt = engine.Tokenize(ChatTemplate.Render(request));
            maxTokens = CompletionBudget.MaxTokens(request, prompt.Length, engine.ContextSize, engine.Options.DefaultMaxTokens);
        }
        catch (RequestRefusedException ex)
        {
            metrics.Refused(ex.Code == "model_not_found" ? "model_not_found" : "bad_request");
            LogRefused(logger, ex.Status, ex.Message);
            await HttpExchange.WriteErrorAsync(http, ex.Status, ex.Message, "invalid_request_error", ex.Param, ex.Code);
            return;
        }

        string sessionName = http.Request.Headers[SessionHeader].FirstOrDefault() ?? request.User ?? string.Empty;
        long session = SessionIds.Of(sessionName);
        Task<EngineSlot>? wait = engine.Slots.TryAcquire(http.RequestAborted);
        if (wait is null)
        {
            metrics.Refused("rejected");
            http.Response.Headers.RetryAfter = engine.Options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await HttpExchange.WriteErrorAsync(http, StatusCodes.Status429TooManyRequests,
                $"All {engine.Slots.Total} sequences are busy and {engine.Options.QueueLength} requests already wait; retry after {engine.Options.RetryAfterSeconds} s.",
                "rate_limit_exceeded", null, "server_busy");
            return;
        }

        EngineSlot slot;
        using (var queued = new CancellationTokenSource())
        {
            // Queued behind busy sequences: move the prefix's lower-tier blocks up meanwhile (HiCache and KVBM
            // prefetch on arrival in the queue too), and stop when a sequence frees up.
            Task prefetch = wait.IsCompleted ? Task.CompletedTask : PrefetchWhileQueuedAsync(prompt, queued.Token);
            try
            {
                slot = await wait;
            }
            catch (OperationCanceledException)
            {
                await queued.CancelAsync();
                await prefetch;
                return; // the client left while queued
            }

            await queued.CancelAsync();
            await prefetch;
        }

        double queueSeconds = Stopwatch.GetElapsedTime(arrival).TotalSeconds;
        var reply = new Reply(request, prompt, maxTokens, session, arrival,
            string.Create(CultureInfo.InvariantCulture, $"chatcmpl-{Guid.NewGuid():N}"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            engine.ModelName); // the served name, whichever alias the request used (vLLM's model_name())
        Generation? result = null;
        try
        {
            result = request.Stream ? await StreamAsync(http, slot, reply) : await WholeAsync(http, slot, reply);
        }
        finally
        {
            engine.Slots.Release(slot);
        }

        if (result is not null)
        {
            Finish(reply, result, sessionName, queueSeconds, arrival);
        }
    }

    /// <summary>
    /// Moves a queued request's prefix up and counts the blocks as soon as it is done, so that <c>/metrics</c> shows the
    /// prefetch while the request still waits.
    /// </summary>
    private async Task PrefetchWhileQueuedAsync(LLamaToken[] prompt, CancellationToken cancellationToken)
    {
        try
        {
            metrics.Prefetched(await generator.PrefetchAsync(prompt, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // Stopped between blocks: what moved stays moved, and the restore reads the rest where it lies.
        }
    }

    private async Task<Generation> WholeAsync(HttpContext http, EngineSlot slot, Reply r)
    {
        // A client that gives up (its timeout, a closed connection) stops the generation too: the sequence is free for
        // the next request at once instead of decoding the whole max_tokens for no one.
        CancellationToken aborted = http.RequestAborted;
        Generation g = await Task.Run(() => generator.RunAsync(slot, r.Prompt, r.MaxTokens, r.Request.Stop, r.Session, r.Arrival, null, null, aborted),
            CancellationToken.None);
        if (g.Cancelled)
        {
            return g;
        }

        r.Call = ToolCallFor(r, g);
        SetHeaders(http, g);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            ResponseWriter.Completion(w, r.Id, r.Created, r.Model, g, r.Call, FinishReason(r, g));
        }

        http.Response.ContentType = "application/json";
        try
        {
            await http.Response.Body.WriteAsync(buffer.WrittenMemory, aborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left between the last token and the answer: the generation is done, and is logged as served.
        }

        return g;
    }

    private async Task<Generation?> StreamAsync(HttpContext http, EngineSlot slot, Reply r)
    {
        var events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        bool streamText = r.Request.ForcedTool is null;
        CancellationToken aborted = http.RequestAborted;
        Task<Generation> run = Task.Run(async () =>
        {
            try
            {
                return await generator.RunAsync(slot, r.Prompt, r.MaxTokens, r.Request.Stop, r.Session, r.Arrival,
                    g => events.Writer.TryWrite(g), streamText ? p => events.Writer.TryWrite(p) : null, aborted);
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (object e in events.Reader.ReadAllAsync(CancellationToken.None))
            {
                if (e is Generation head)
                {
                    SetHeaders(http, head);
                    http.Response.ContentType = "text/event-stream";
                    http.Response.Headers.CacheControl = "no-cache";
                    await HttpExchange.SendEventAsync(http, w => ResponseWriter.Chunk(w, r.Id, r.Created, r.Model, true, null, null, null));
                }
                else
                {
                    await HttpExchange.SendEventAsync(http, w => ResponseWriter.Chunk(w, r.Id, r.Created, r.Model, false, (string)e, null, null));
                }
            }

            Generation g = await run;
            r.Call = ToolCallFor(r, g);
            await HttpExchange.SendEventAsync(http, w => ResponseWriter.Chunk(w, r.Id, r.Created, r.Model, false, null, r.Call, FinishReason(r, g)));
            if (r.Request.IncludeUsage)
            {
                await HttpExchange.SendEventAsync(http, w => ResponseWriter.UsageChunk(w, r.Id, r.Created, r.Model, g));
            }

            await http.Response.WriteAsync("data: [DONE]\n\n", aborted);
            return g;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away mid-stream; the sequence is released once generation has stopped.
            return await run;
        }
    }

    private void Finish(Reply r, Generation g, string sessionName, double queueSeconds, long arrival)
    {
        string finish = FinishReason(r, g);
        string hint = "none";
        if (r.Session != 0 && g.Save != "off")
        {
            SessionHint h = r.Call is not null ? SessionHint.Paused : SessionHint.AwaitingUser;
            store.Hint(r.Session, h, g.CompletionTokens); // the response's length: the agent policy expects a brief reply to be answered sooner
            hint = h.ToString();
        }

        double totalMs = Stopwatch.GetElapsedTime(arrival).TotalMilliseconds;
        metrics.Completed(g.TtftSeconds, queueSeconds, g.PromptTokens, g.CachedTokens, g.CompletionTokens, finish, g.Source);
        log.Add(new RequestRecord(DateTimeOffset.UtcNow, sessionName, g.PromptTokens, g.CachedTokens, g.Source, queueSeconds * 1e3,
            g.TtftSeconds * 1e3, totalMs, g.CompletionTokens, finish, hint, g.Save));
        LogServed(logger, r.Id, sessionName, g.PromptTokens, g.CachedTokens, g.Source, g.CompletionTokens, finish, queueSeconds * 1e3,
            g.TtftSeconds * 1e3, totalMs);
    }

    private static ToolCall? ToolCallFor(Reply r, Generation g) => r.Request.ForcedTool is { } tool
        ? ToolCallSynthesizer.Create(tool, g.Text, g.CompletionTokens, g.PromptTokens, r.Session.ToString(CultureInfo.InvariantCulture))
        : null;

    /// <summary>OpenAI's finish reason; <c>cancelled</c> (the client left mid-reply) only in the log and the metrics, which no client reads.</summary>
    private static string FinishReason(Reply r, Generation g) =>
        g.Cancelled ? "cancelled" : r.Request.ForcedTool is not null ? "tool_calls" : g.EndOfGeneration ? "stop" : "length";

    private static void SetHeaders(HttpContext http, Generation g)
    {
        http.Response.Headers[CachedHeader] = g.CachedTokens.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[SourceHeader] = g.Source;
        http.Response.Headers[ExplainHeader] = g.Explain;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "{Id} session '{Session}': {PromptTokens} prompt tokens, {CachedTokens} restored ({Source}); {CompletionTokens} generated, {FinishReason}; queue {QueueMs:F0} ms, TTFT {TtftMs:F0} ms, total {TotalMs:F0} ms")]
    private static partial void LogServed(ILogger logger, string id, string session, int promptTokens, int cachedTokens, string source,
        int completionTokens, string finishReason, double queueMs, double ttftMs, double totalMs);
}
