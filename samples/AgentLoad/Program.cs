// Replays WEKA Claude Code sessions (../shared/traces/weka-claude-code) against the agent server through the official
// OpenAI .NET client: N sessions at once, token counts scaled to the model's context, gaps scaled in time. By default it
// hosts the server in process three times — KvTiering with the agent policy, KvTiering with LRU, no prefix cache — each
// on a loopback port with a fresh flash directory, and prints every request and then one table side by side.
// With --url it drives a server already running: one run, labelled by --configs or by the address.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentLoad;
using AgentServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Url is { } target)
{
    try
    {
        // Scale the sessions to the context the running server has, which --context may not know.
        ServedModel served = await ServedModel.GetAsync(new Uri(target));
        if (served.ContextSize is { } context && context != options.ContextSize)
        {
            Console.WriteLine($"{target} serves {served.Id} with a {context}-token context: sessions are scaled to it, not to --context {options.ContextSize}.");
            options = options with { ContextSize = context };
        }
    }
    catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or TaskCanceledException)
    {
        Console.Error.WriteLine($"--url {target}: {ex.Message}"); // no server there, or not an OpenAI-compatible one: one line, exit 1
        return 1;
    }
}

List<SessionPlan> plans;
try
{
    plans = SessionPlan.Load(options);
}
catch (IOException ex)
{
    Console.Error.WriteLine(ex.Message); // a --trace that does not exist or cannot be read: one line, exit 1
    return 1;
}

Console.WriteLine($"{plans.Count} sessions from {options.Trace}, {plans.Sum(p => p.Requests.Count)} requests in all (per server); " + (options.Url is { } at
    ? $"server {at}, context {options.ContextSize}, "
    : $"model {options.Preset}, context {options.ContextSize}, {options.Sequences} sequences, DRAM {options.DramMiB} MiB, flash {options.FlashMiB} MiB, ") +
    $"max {options.MaxTokens} tokens out, time scale {options.TimeScale}");
var runs = new List<(string, List<RequestResult>, double)>();
foreach (string configuration in options.Configurations)
{
    string flash = Path.Combine(Path.GetTempPath(), "kvtiering-agent-load-" + Guid.NewGuid().ToString("N"));
    WebApplication? app = null;
    try
    {
        Uri server;
        if (options.Url is { } url)
        {
            server = new Uri(url);
        }
        else
        {
            app = AgentServerApp.Build(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(Settings(options, configuration, flash)));
            await app.StartAsync();
            server = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        var clock = Stopwatch.StartNew();
        List<RequestResult> results = await Replayer.RunAsync(configuration, server, plans, options);
        runs.Add((configuration, results, clock.Elapsed.TotalSeconds));
        Report.Requests(results, Console.Out);
        Console.WriteLine();
    }
    finally
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        try
        {
            Directory.Delete(flash, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

Report.Summary(runs, Console.Out);
if (options.Csv is { } csv)
{
    Report.Csv(runs.SelectMany(r => r.Item2), csv);
}

return 0;

static Dictionary<string, string?> Settings(LoadOptions o, string configuration, string flash) => new()
{
    ["Logging:LogLevel:Default"] = "Warning",
    ["AgentServer:Preset"] = o.Preset,
    ["AgentServer:ContextSize"] = o.ContextSize.ToString(CultureInfo.InvariantCulture),
    ["AgentServer:Sequences"] = o.Sequences.ToString(CultureInfo.InvariantCulture),
    ["AgentServer:QueueLength"] = "1024",
    ["AgentServer:PrefixCache"] = configuration == "none" ? "false" : "true",
    ["KvTiering:MemoryBytes"] = (o.DramMiB * 1048576L).ToString(CultureInfo.InvariantCulture),
    ["KvTiering:MemoryPolicy"] = configuration == "none" ? "lru" : configuration,
    ["KvTiering:FlashDirectory"] = flash,
    ["KvTiering:FlashBytes"] = (o.FlashMiB * 1048576L).ToString(CultureInfo.InvariantCulture),
    ["KvTiering:FlashPolicy"] = configuration == "none" ? "lru" : configuration,
};
