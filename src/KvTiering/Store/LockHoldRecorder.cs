using System.Collections.Concurrent;

namespace KvTiering.Store;

/// <summary>Lock waits and holds by call site and thread (see <see cref="LockHolds"/>).</summary>
internal sealed class LockHoldRecorder
{
    private readonly ConcurrentDictionary<(string Site, string? Thread), LockSite> _sites = new();

    /// <summary>Records one hold of <paramref name="site"/> on the calling thread, in Stopwatch ticks.</summary>
    public void Record(string site, long waitTicks, long holdTicks) =>
        _sites.GetOrAdd((site, Thread.CurrentThread.Name), static key => new LockSite(key.Site, key.Thread)).Add(waitTicks, holdTicks);

    /// <summary>Every site recorded so far, longest total hold first.</summary>
    public IReadOnlyList<LockSite> Sites => _sites.Values.OrderByDescending(s => s.HeldTicks).ToList();
}
