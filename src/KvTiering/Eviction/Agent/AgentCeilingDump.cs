using System.Diagnostics;

namespace KvTiering.Eviction;

/// <summary>
/// The ceiling diagnostic of docs/policies/agent-research-log.md ("Session 22, ceiling23"): compiled in only with the symbol
/// KVTIER_CEILDUMP. At every Nth eviction of the first tier (KVTIER_CEILDUMP_EVERY, default 1,000) it counts the
/// resident blocks whose true next use lies beyond the evicted block's (blocks Belady would give up first), by where
/// they sit: the shared segment, a session's blocks its latest request did not touch, or the latest request's own;
/// and prints the totals to standard error when the process ends. Run one policy and one capacity per process.
/// </summary>
internal static class AgentCeilingDump
{
    private static readonly int Every = int.TryParse(Environment.GetEnvironmentVariable("KVTIER_CEILDUMP_EVERY"), out int n) && n > 0 ? n : 1000;
    private static readonly long[] Later = new long[3];
    private static readonly long[] Never = new long[3];
    private static readonly long[] Resident = new long[3];
    private static long _evictions;
    private static long _samples;
    private static long _victimNever;
    private static bool _hooked;

    /// <summary>Samples the tier at this eviction of <paramref name="victim"/>.</summary>
    [Conditional("KVTIER_CEILDUMP")]
    public static void Eviction(TierView tier, AgentSessionSlots slots, AgentBlockLists lists, int victim)
    {
        if (tier.TierIndex != 0 || victim < 0 || (++_evictions % Every) != 0)
        {
            return;
        }

        if (!_hooked)
        {
            _hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.Error.WriteLine(
                $"ceildump samples={_samples} victimNever={_victimNever} " +
                $"later(shared,stale,latest)={Later[0]},{Later[1]},{Later[2]} never={Never[0]},{Never[1]},{Never[2]} resident={Resident[0]},{Resident[1]},{Resident[2]}");
        }

        _samples++;
        long v = tier.NextUse(victim);
        if (v == long.MaxValue)
        {
            _victimNever++;
        }

        for (int s = slots.NextHolding(0); s >= 0; s = slots.NextHolding(s + 1))
        {
            ref AgentSession r = ref slots[s];
            for (int h = r.Head; h >= 0; h = lists.Next(h))
            {
                int kind = s == AgentSessionSlots.Shared ? 0 : lists.TouchedAt(h) < r.LastRequest ? 1 : 2;
                long next = tier.NextUse(h);
                Resident[kind]++;
                if (next > v)
                {
                    Later[kind]++;
                }

                if (next == long.MaxValue)
                {
                    Never[kind]++;
                }
            }
        }
    }
}
