namespace AgentServer;

/// <summary>
/// The server's own settings, bound from the configuration section <c>AgentServer</c> (appsettings, environment
/// <c>AgentServer__Sequences=4</c>, or the command line <c>--AgentServer:Sequences=4</c>). The store's tiers come from
/// the <c>KvTiering</c> section (<c>AddKvTiering</c>'s options).
/// </summary>
public sealed class AgentServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "AgentServer";

    /// <summary>A GGUF file to serve; null (the default) writes and serves the synthetic random-weight llama of <see cref="Preset"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The synthetic model when no <see cref="ModelPath"/> is given: <c>tiny</c> (1.4M, tests) or <c>sample</c> (89M, default).</summary>
    public string Preset { get; set; } = "sample";

    /// <summary>Where the synthetic GGUF is written once (default: the temp directory).</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>The model name clients send and <c>/v1/models</c> lists first (default: the GGUF's file name without extension).</summary>
    public string? ModelName { get; set; }

    /// <summary>
    /// More names a request's <c>model</c> may use for the one model served (vLLM's extra <c>--served-model-name</c>s),
    /// e.g. the name a client has hard-coded; <c>/v1/models</c> lists them after <see cref="ModelName"/>. Any other name is a 404.
    /// </summary>
    public string[] ModelAliases { get; set; } = [];

    /// <summary>llama.cpp sequences served at once, each in its own context (default 2).</summary>
    public int Sequences { get; set; } = 2;

    /// <summary>Requests that may wait for a free sequence; one more gets 429 (default 16).</summary>
    public int QueueLength { get; set; } = 16;

    /// <summary>Tokens per sequence: the longest prompt plus reply a request may have (default 4,096).</summary>
    public int ContextSize { get; set; } = 4096;

    /// <summary>llama.cpp threads per sequence (default 1: on a small shared machine more threads stall; docs/llamasharp.md).</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Reply tokens when a request names no <c>max_tokens</c> (default 16).</summary>
    public int DefaultMaxTokens { get; set; } = 16;

    /// <summary>Restore and save prefix snapshots through KvTiering (default true); false serves with no prefix cache, the baseline.</summary>
    public bool PrefixCache { get; set; } = true;

    /// <summary>Recent requests the page and <c>/api/state</c> show (default 50).</summary>
    public int RecentRequests { get; set; } = 50;

    /// <summary>Seconds a 429 tells the client to wait (Retry-After, default 1).</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
