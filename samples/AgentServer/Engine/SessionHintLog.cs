using System.Collections.Concurrent;
using KvTiering.Eviction;

namespace AgentServer.Engine;

/// <summary>
/// The last session hint each tier's eviction policy received, per session: written from inside the store's policy
/// call (see <see cref="HintRecordingPolicy{TInner}"/>), so it shows what the store was told, not what the server meant
/// to tell it.
/// </summary>
internal sealed class SessionHintLog
{
    private readonly ConcurrentDictionary<(long Session, string Tier), SessionHint> _last = new();

    public void Record(long session, string tier, SessionHint hint) => _last[(session, tier)] = hint;

    /// <summary>The last hint each tier's policy got for <paramref name="session"/>.</summary>
    public IReadOnlyDictionary<string, string> For(long session) =>
        _last.Where(p => p.Key.Session == session).ToDictionary(p => p.Key.Tier, p => p.Value.ToString());
}
