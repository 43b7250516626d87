using KvTiering.KvEvents;
using KvTiering.Store;

namespace KvTiering.Cli;

/// <summary>
/// <c>kvtier simulate … --kv-events tcp://HOST:PORT</c>: the replay's store publishes its KV events (every tier, as
/// <c>medium</c>) on vLLM's wire format on a socket it binds, after waiting up to 10 s for a first subscriber.
/// </summary>
internal static class SimulateKvEvents
{
    public const string Option = "kv-events";

    /// <summary>The store hook for the replay, or null without <c>--kv-events</c>.</summary>
    public static Func<TieredKvStore, IDisposable?>? Parse(Arguments a, TextWriter stderr)
    {
        if (a.Get(Option) is not { } endpoint)
        {
            return null;
        }

        // Only these reach a subscriber in another process; anything else would fail at bind time, after the trace loaded.
        if (!endpoint.StartsWith("tcp://", StringComparison.Ordinal) && !endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            throw new CliException($"--kv-events takes a tcp:// or ipc:// endpoint such as tcp://127.0.0.1:5557; got '{endpoint}'");
        }

        stderr.WriteLine($"kvtier: publishing KV events on {endpoint} (waiting up to {ReplayKvEvents.DefaultWait.TotalSeconds:0} s for a subscriber)");
        return ReplayKvEvents.Attach(endpoint, stderr);
    }

    /// <summary>One socket, one replay: the events of several runs would interleave under one sequence.</summary>
    public static void CheckRuns(Func<TieredKvStore, IDisposable?>? attach, int runs)
    {
        if (attach is not null && runs != 1)
        {
            throw new CliException($"--kv-events publishes one replay; this command line makes {runs} runs (give one --policy and one --capacity or --tiers)");
        }
    }
}
