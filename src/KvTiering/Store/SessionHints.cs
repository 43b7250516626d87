using KvTiering.Eviction;

namespace KvTiering.Store;

/// <summary>
/// Delivers a server's hints about a session to every tier's policy, under the store's lock after the queued lock-free
/// hits are applied (so a policy sees the session's last accesses before its hint). The length of the response that
/// ended rides along for the hint's duration only (<see cref="StoreClock.HintResponseTokens"/>), so
/// <see cref="IEvictionPolicy"/> needs no new member for it.
/// </summary>
internal sealed class SessionHints
{
    private readonly Tier[] _tiers;
    private readonly TopTierReader _top;
    private readonly StoreClock _clock;

    public SessionHints(Tier[] tiers, TopTierReader top, StoreClock clock)
    {
        _tiers = tiers;
        _top = top;
        _clock = clock;
    }

    /// <summary>A response's length as a hint carries it: <paramref name="responseTokens"/>, checked not negative.</summary>
    public static int ResponseLength(int responseTokens)
    {
        if (responseTokens < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(responseTokens), responseTokens, $"A response's length cannot be negative ({responseTokens} tokens).");
        }

        return responseTokens;
    }

    /// <summary>Delivers <paramref name="hint"/>; <paramref name="responseTokens"/> is -1 when unknown.</summary>
    public void Deliver(TieredKvStore store, long session, SessionHint hint, int responseTokens)
    {
        store.ThrowIfDisposed();
        lock (_top.Lock)
        {
            _top.Drain();
            _clock.HintResponseTokens = responseTokens;
            try
            {
                foreach (Tier tier in _tiers)
                {
                    tier.OnSessionHint(session, hint);
                }
            }
            finally
            {
                _clock.HintResponseTokens = -1;
            }
        }
    }
}
