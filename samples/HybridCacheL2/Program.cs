// Agent state in HybridCache with KvTiering as its L2 on a flash directory. The first run finds nothing, builds a
// session (a transcript well over HybridCache's 1 MiB default payload limit) and stores it; the store flushes its
// memory tier to flash when the host stops. Every later run — a new process with an empty L1 — finds the state in
// KvTiering's flash tier, without running the factory, and adds a turn.
//
//   dotnet run --project samples/HybridCacheL2 [flash-directory]     (default: a folder under the temp directory)
using System.Globalization;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string flashDirectory = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "kvtiering-hybridcache-sample"));
Directory.CreateDirectory(flashDirectory);
const string Key = "agent:demo-session:state";

HostApplicationBuilder builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddKvTiering(options =>
{
    options.MemoryBytes = 32L << 20;        // DRAM tier
    options.FlashDirectory = flashDirectory; // flash tier: survives the process
    options.FlashBytes = 256L << 20;
});
builder.Services.AddHybridCache(options =>
{
    options.MaximumPayloadBytes = 16 << 20; // agent state outgrows the 1 MiB default
    options.DefaultEntryOptions = new HybridCacheEntryOptions
    {
        Expiration = TimeSpan.FromDays(7),
        LocalCacheExpiration = TimeSpan.FromMinutes(5),
    };
});

using IHost host = builder.Build();
await host.StartAsync(); // validates the KvTiering options
HybridCache cache = host.Services.GetRequiredService<HybridCache>();

bool created = false;
AgentState state = await cache.GetOrCreateAsync(Key, _ =>
{
    created = true;
    return ValueTask.FromResult(AgentState.Start("demo-session"));
});

if (created)
{
    Console.WriteLine($"First run: no agent state in {flashDirectory}.");
    Console.WriteLine($"Created session '{state.SessionId}' with {state.Transcript.Count} transcript lines ({state.Bytes / 1024} KiB) and stored it in HybridCache (L1: memory, L2: KvTiering).");
}
else
{
    Console.WriteLine($"Found the agent state from a previous run in KvTiering's flash tier ({flashDirectory}):");
    Console.WriteLine($"  session '{state.SessionId}', turn {state.Turn}, {state.Transcript.Count} transcript lines ({state.Bytes / 1024} KiB), saved {state.SavedAt:u}.");
    if (!state.IsIntact())
    {
        Console.Error.WriteLine("The state read back does not match what was written.");
        return 1;
    }
}

state = state.NextTurn();
await cache.SetAsync(Key, state);
Console.WriteLine($"Saved turn {state.Turn}; run again to pick it up.");

// The store flushes its memory tier to flash when the host disposes it; flushing here shows where the blocks go.
TieredKvStore store = host.Services.GetRequiredService<TieredKvStore>();
int flushed = store.Flush();
StoreStatistics stats = store.GetStatistics();
Console.WriteLine($"Flushed {flushed} blocks to flash; KvTiering now holds {string.Join(", ", stats.Tiers.Select(t => $"{t.Name} {t.ResidentBlocks}/{t.CapacityBlocks}"))} blocks.");
await host.StopAsync();
return 0;

/// <summary>What an agent carries between turns: its transcript grows with every tool result.</summary>
internal sealed record AgentState(string SessionId, int Turn, DateTimeOffset SavedAt, List<string> Transcript)
{
    public long Bytes => Transcript.Sum(line => (long)line.Length);

    public static AgentState Start(string sessionId)
    {
        var transcript = new List<string>();
        for (int i = 0; i < 15_000; i++)
        {
            transcript.Add(Line(i));
        }

        return new AgentState(sessionId, 0, DateTimeOffset.UtcNow, transcript);
    }

    public AgentState NextTurn() =>
        this with { Turn = Turn + 1, SavedAt = DateTimeOffset.UtcNow, Transcript = [.. Transcript, Line(Transcript.Count)] };

    /// <summary>Every line is a function of its index, so a run can check the whole transcript it read.</summary>
    public bool IsIntact() => Transcript.Select((line, i) => line == Line(i)).All(ok => ok);

    private static string Line(int i) =>
        $"[{i:D6}] tool_result: read_file src/module_{i % 97}.cs → {i * 7919 % 100_003} bytes, {i % 13} matches of 'TODO'";
}
