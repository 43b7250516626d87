using System.Diagnostics.Metrics;

namespace AgentServer.Serving;

/// <summary>The server's own instruments (meter <c>KvTiering.AgentServer</c>), exported at <c>/metrics</c> beside the store's <c>KvTiering</c> meter.</summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "KvTiering.AgentServer";

    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _queue;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _cachedTokens;
    private readonly Counter<long> _completionTokens;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _prefetched;
    private readonly Counter<long> _restores;

    public ServerMetrics(IMeterFactory factory)
    {
        Meter meter = factory.Create(MeterName);
        var seconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] };
        _ttft = meter.CreateHistogram<double>("agentserver.ttft", "s", "Time from request arrival to the first generated token.", advice: seconds);
        _queue = meter.CreateHistogram<double>("agentserver.queue_wait", "s", "Time a request waited for a free sequence.", advice: seconds);
        _promptTokens = meter.CreateCounter<long>("agentserver.prompt_tokens", "{token}", "Prompt tokens received.");
        _cachedTokens = meter.CreateCounter<long>("agentserver.cached_tokens", "{token}", "Prompt tokens restored from KvTiering instead of prefilled.");
        _completionTokens = meter.CreateCounter<long>("agentserver.completion_tokens", "{token}", "Tokens generated.");
        _prefetched = meter.CreateCounter<long>("agentserver.prefetched_blocks", "{block}", "Blocks brought up to DRAM while their request waited for a sequence.");
        // The restore's source as X-KvTiering-Source gives it: without this, a flash file that went bad showed only in
        // per-request log lines ("0 restored (corrupt)"), and an operator could not alert on it.
        _restores = meter.CreateCounter<long>("agentserver.restores", "{request}",
            "Served requests by where their prompt's snapshot came from (a tier's name, miss, corrupt, rejected, off).");
        _requests = meter.CreateCounter<long>("agentserver.requests", "{request}", "Requests by outcome (stop, length, tool_calls, cancelled, rejected, bad_request, model_not_found).");
    }

    public void Completed(double ttftSeconds, double queueSeconds, int prompt, int cached, int completion, string finishReason, string source)
    {
        _restores.Add(1, new KeyValuePair<string, object?>("source", source));
        _ttft.Record(ttftSeconds);
        _queue.Record(queueSeconds);
        _promptTokens.Add(prompt);
        _cachedTokens.Add(cached);
        _completionTokens.Add(completion);
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", finishReason));
    }

    public void Prefetched(int blocks) => _prefetched.Add(blocks);

    public void Refused(string outcome) => _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
