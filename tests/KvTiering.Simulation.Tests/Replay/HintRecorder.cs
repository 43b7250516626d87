using System.Globalization;
using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>What <see cref="HintRecorder"/>'s policy saw, in the order the tier saw it.</summary>
internal sealed class HintLog
{
    /// <summary>"insert s2 @5" for each request's first new block, "hint s2 Paused @5" for each hint.</summary>
    public List<string> Entries { get; } = [];

    /// <summary>The response length the tier reported (<see cref="TierView.HintResponseTokens"/>) at each entry.</summary>
    public List<int> Lengths { get; } = [];
}

/// <summary>
/// A policy for the hint and close schedule tests that evicts nothing and logs each request's first new block (its
/// session and the store's time) and each hint. Registered once per name as a policy that reads hints (so its rows
/// read "name+hints"); each replay's log reaches the factory through an AsyncLocal, as the factory runs on the
/// replaying thread.
/// </summary>
internal static class HintRecorder
{
    private static readonly AsyncLocal<HintLog> s_log = new();

    public static EvictionPolicy Register(string name) =>
        EvictionPolicies.Register(name, static () => new Recorder(s_log.Value!), readsSessionHints: true);

    /// <summary>Replays <paramref name="trace"/> under <paramref name="options"/> (whose policy is a registered recorder).</summary>
    public static (HintLog Log, ReplayResult Result) Replay(Trace trace, ReplayOptions options)
    {
        var log = new HintLog();
        s_log.Value = log;
        ReplayResult result = Replayer.Run(trace, options);
        return (log, result);
    }

    private struct Recorder(HintLog log) : IEvictionPolicy
    {
        private TierView? _tier;

        public void Attach(TierView tier) => _tier = tier;

        public readonly bool Admit(in BlockInfo block) => true;

        public readonly void OnInsert(int handle)
        {
            string entry = string.Create(CultureInfo.InvariantCulture, $"insert s{_tier!.Session(handle)} @{_tier.Now}");
            if (log.Entries.Count == 0 || log.Entries[^1] != entry)
            {
                log.Entries.Add(entry); // one line per request, not per block
                log.Lengths.Add(_tier.HintResponseTokens);
            }
        }

        public readonly void OnAccess(int handle)
        {
        }

        public readonly void OnRemove(int handle)
        {
        }

        public readonly int SelectVictim() => -1;

        public readonly void OnSessionHint(long session, SessionHint hint)
        {
            log.Entries.Add(string.Create(CultureInfo.InvariantCulture, $"hint s{session} {hint} @{_tier!.Now}"));
            log.Lengths.Add(_tier.HintResponseTokens);
        }
    }
}
