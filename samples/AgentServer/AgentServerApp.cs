using System.Reflection;
using AgentServer.Engine;
using AgentServer.Events;
using AgentServer.Remote;
using AgentServer.Serving;
using KvTiering;
using KvTiering.Diagnostics;
using KvTiering.Extensions;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using LLama.Native;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace AgentServer;

/// <summary>Builds the agent server: services, endpoints and the page. <c>Program</c> runs it; AgentLoad hosts it in process.</summary>
public static partial class AgentServerApp
{
    /// <summary>A configured, not yet started, server; <paramref name="configure"/> may change the builder first (tests, AgentLoad).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        // The server's own store defaults sit under every other source, so they hold wherever it starts: appsettings.json
        // is read from the content root (the current directory), and `dotnet path/to/AgentServer.dll` run from elsewhere
        // finds none, which left both tiers on AddKvTiering's clock instead of the agent policy docs/serving.md lists.
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new MemoryConfigurationSource { InitialData = s_storeDefaults });
        configure?.Invoke(builder);
        ConfigureServices(builder.Services, builder.Configuration);
        WebApplication app = builder.Build();
        _ = app.Services.GetRequiredService<ChatCompletions>(); // load the model and open the store now, not on the first request
        LlamaEngine engine = app.Services.GetRequiredService<LlamaEngine>();
        AgentServerOptions o = engine.Options;
        LogServing(app.Logger, engine.ModelPath, engine.ServedNames, o.ContextSize, o.Sequences, o.Threads, o.QueueLength,
            o.DefaultMaxTokens, o.PrefixCache ? "on" : "off");
        if (o.PrefixCache)
        {
            // A stopping server lets its snapshots' copies to the remote tier end (cancelling them after 5 s) before the
            // container disposes the store under them; a killed one loses only the copies in flight.
            LlamaPrefixCache cache = app.Services.GetRequiredService<LlamaPrefixCache>();
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                cache.FlushSharesAsync(limit.Token).GetAwaiter().GetResult();
            });
        }

        MapEndpoints(app);
        return app;
    }

    /// <summary>The store settings the server changes from AddKvTiering's defaults: the agent policy on both tiers.</summary>
    private static readonly KeyValuePair<string, string?>[] s_storeDefaults =
    [
        new("KvTiering:MemoryPolicy", "agent"),
        new("KvTiering:FlashPolicy", "agent"),
    ];

    /// <summary>
    /// A misspelt setting (--AgentServer:Sequence=4, --KvTiering:KvEvents:Endpiont=…) stops the start, naming it, the
    /// setting it is closest to and the settings there are; the binder would ignore it, and the server would run with
    /// the default the user meant to change. (AddKvTiering checks the KvTiering section's own keys the same way.)
    /// </summary>
    private static void RejectUnknownSettings(IConfiguration configuration, string section, Type options)
    {
        string[] known = [.. options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name)];
        foreach (IConfigurationSection setting in configuration.GetSection(section).GetChildren())
        {
            if (!known.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{setting.Path} is not a setting{Suggest.DidYouMean(setting.Key, known)}; the {section} settings are {string.Join(", ", known)}.");
            }
        }
    }

    /// <summary>Registers the engine, the store (tiers from the <c>KvTiering</c> section), the prefix cache and metrics.</summary>
    public static void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        QuietNativeLog();
        RejectUnknownSettings(configuration, AgentServerOptions.SectionName, typeof(AgentServerOptions));
        RejectUnknownSettings(configuration, KvEventsOptions.SectionName, typeof(KvEventsOptions));
        RejectUnknownSettings(configuration, RemoteTierOptions.SectionName, typeof(RemoteTierOptions));
        services.AddOptions<AgentServerOptions>().Bind(configuration.GetSection(AgentServerOptions.SectionName))
            .Validate(o => o.Sequences >= 1 && o.QueueLength >= 0 && o.ContextSize >= 64 && o.Threads >= 1 && o.DefaultMaxTokens >= 1,
                "AgentServer: Sequences and Threads must be at least 1, QueueLength at least 0, ContextSize at least 64, DefaultMaxTokens at least 1.")
            .Validate(o => o.RetryAfterSeconds >= 0 && o.RecentRequests >= 0,
                "AgentServer: RetryAfterSeconds and RecentRequests must be at least 0 (a 429's Retry-After cannot be negative).")
            .Validate(o => o.ModelName is null or { Length: > 0 } && o.ModelAliases.All(a => !string.IsNullOrWhiteSpace(a)),
                "AgentServer: ModelName and each of ModelAliases must be a non-empty name.");
        services.AddSingleton<LlamaEngine>();
        services.AddSingleton<SessionHintLog>();
        services.AddOptions<RemoteTierOptions>().Bind(configuration.GetSection(RemoteTierOptions.SectionName));
        services.AddSingleton<RemoteTierConnection>();
        services.AddSingleton(StoreFactory.Create);   // before AddKvTiering, whose TryAdd then keeps it
        services.AddKvTiering(o => o.FlashDirectory ??= Path.Combine(Path.GetTempPath(), "kvtiering-agent-server"));
        services.AddSingleton(sp => sp.GetRequiredService<LlamaEngine>().Options.PrefixCache
            ? new LlamaPrefixCache(sp.GetRequiredService<TieredKvStore>(), sp.GetRequiredService<LlamaEngine>().Hasher,
                new LlamaPrefixCacheOptions // null: on when the store has a remote tier (one that failed to connect at start: off)
                {
                    ShareSnapshots = sp.GetRequiredService<IOptions<RemoteTierOptions>>().Value.ShareSnapshots ? null : false,
                })
            : null!);
        services.AddOptions<KvEventsOptions>().Bind(configuration.GetSection(KvEventsOptions.SectionName))
            .Validate(o => o.BufferSteps >= 1 && o.HighWaterMark >= 1 && o.DataParallelRank >= 0 && o.HashSeed is not null,
                "KvTiering:KvEvents: BufferSteps and HighWaterMark must be at least 1, DataParallelRank at least 0, and HashSeed set.")
            .Validate(o => o.FlushTimeout >= TimeSpan.Zero && o.FlushTimeout.TotalMilliseconds <= int.MaxValue,
                "KvTiering:KvEvents:FlushTimeout must be zero or positive and below 24 days (a stopping server waits at most this long).");
        services.AddSingleton<ServerKvEvents>(); // resolved only when KvTiering:KvEvents:Endpoint is set: off binds nothing
        services.AddSingleton(sp => new Generator(sp.GetRequiredService<LlamaEngine>(), sp.GetRequiredService<TieredKvStore>(),
            sp.GetRequiredService<LlamaEngine>().Options.PrefixCache ? sp.GetRequiredService<LlamaPrefixCache>() : null,
            sp.GetRequiredService<IOptions<KvEventsOptions>>().Value.Endpoint is { Length: > 0 } ? sp.GetRequiredService<ServerKvEvents>() : null));
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(sp => new RequestLog(sp.GetRequiredService<LlamaEngine>().Options.RecentRequests));
        services.AddSingleton<ChatCompletions>();
        // The meters are enabled through IMetricsBuilder for this container's IMeterFactory only (MeterScope.Local), not
        // with OpenTelemetry's AddMeter, which subscribes by name across the process: there, two hosts in one process
        // (tests, AgentLoad) fed one metric stream, and when either host stopped, the other's /metrics went empty.
        services.AddMetrics(m => m
            .EnableMetrics(KvTieringDiagnostics.MeterName, scopes: MeterScope.Local)
            .EnableMetrics(ServerMetrics.MeterName, scopes: MeterScope.Local));
        services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter());
    }

    private static void MapEndpoints(WebApplication app)
    {
        // An unknown path or a wrong method answers in OpenAI's error shape too, not with an empty body, so a client's
        // error handling reads what went wrong.
        app.UseStatusCodePages(context => HttpExchange.WriteErrorAsync(context.HttpContext, context.HttpContext.Response.StatusCode,
            RouteError(context.HttpContext.Request, context.HttpContext.Response.StatusCode), "invalid_request_error", null, null));
        app.MapPost("/v1/chat/completions", (HttpContext http, ChatCompletions chat) => chat.HandleAsync(http));
        // vLLM's model card: every served name, each with the context (max_model_len) a client must fit prompt + max_tokens in.
        app.MapGet("/v1/models", (LlamaEngine engine) => Results.Json(new
        {
            @object = "list",
            data = engine.ServedNames.Select(name => new
            {
                id = name,
                @object = "model",
                created = 0,
                owned_by = "kvtiering",
                max_model_len = engine.ContextSize,
            }),
        }));
        app.MapGet("/healthz", (LlamaEngine engine, TieredKvStore store) => Results.Json(new
        {
            status = "ok",
            model = engine.ModelName,
            sequences = engine.Slots.Total,
            busy = engine.Slots.Busy,
            waiting = engine.Slots.Waiting,
            storeBlocks = store.Count,
        }));
        app.MapGet("/api/state", (LlamaEngine engine, TieredKvStore store, RequestLog log, IServiceProvider sp) =>
            Results.Json(StateEndpoints.State(engine, store, log, sp)));
        app.MapGet("/v1/sessions/{id}/explain", (string id, TieredKvStore store, SessionHintLog hints) =>
            Results.Json(StateEndpoints.Explain(id, store, hints)));
        app.MapDelete("/v1/sessions/{id}", (HttpContext http, string id, TieredKvStore store, SessionHintLog hints) => SessionEndpoints.CloseAsync(http, id, store, hints));
        app.MapGet("/", () => Results.Stream(Page(), "text/html; charset=utf-8"));
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    private static Stream Page() =>
        typeof(AgentServerApp).Assembly.GetManifestResourceStream("AgentServer.Page.index.html")
        ?? throw new InvalidOperationException("The page resource AgentServer.Page.index.html is missing from the build.");

    private static string RouteError(HttpRequest request, int status) => status switch
    {
        StatusCodes.Status404NotFound => $"Invalid URL ({request.Method} {request.Path}).",
        StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Serving {ModelPath} as {Names}: context {ContextSize} tokens, {Sequences} sequences, threads per sequence {Threads}, queue {QueueLength}, default max_tokens {DefaultMaxTokens}, prefix cache {PrefixCache}")]
    private static partial void LogServing(ILogger logger, string modelPath, IReadOnlyList<string> names, int contextSize, int sequences, int threads,
        int queueLength, int defaultMaxTokens, string prefixCache);

    private static void QuietNativeLog()
    {
        try
        {
            NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });
        }
        catch (InvalidOperationException)
        {
            // The native library is loaded already (a second server in one process): its callback stays.
        }
    }
}
