using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// The pinned sessions of <see cref="TtlPinPolicy"/> and the blocks they hold, against a budget: a pin that would take
/// the pinned blocks past the budget is refused. Expiry is lazy, as in SGLang (checked when the policy next looks).
/// </summary>
internal sealed class PinLedger
{
    private readonly long[] _pinned;
    private int _count;
    private double _nextExpiry = double.PositiveInfinity;

    public PinLedger(int budget, int capacity)
    {
        Budget = budget;
        _pinned = new long[capacity + 1];
    }

    /// <summary>The most blocks that may be pinned.</summary>
    public int Budget { get; }

    /// <summary>Blocks of pinned sessions now.</summary>
    public int PinnedBlocks { get; private set; }

    /// <summary>Pins the session's resident blocks if the budget has room for them.</summary>
    public bool TryPin(long session, ref TtlPinSession state)
    {
        if (PinnedBlocks + state.Blocks > Budget || _count == _pinned.Length)
        {
            return false;
        }

        state.Pinned = true;
        PinnedBlocks += state.Blocks;
        _pinned[_count++] = session;
        _nextExpiry = double.NegativeInfinity; // the new pin's expiry is set by the caller: rescan on the next sweep
        return true;
    }

    /// <summary>A pinned session gained a block (already counted in its Blocks): false when the budget has no room.</summary>
    public bool TryGrow()
    {
        // Counted either way: on false the caller unpins the session, and Unpin subtracts all its blocks, the new one too.
        PinnedBlocks++;
        return PinnedBlocks <= Budget;
    }

    /// <summary>A pinned session lost a block.</summary>
    public void Shrink() => PinnedBlocks--;

    /// <summary>Drops the session's pin.</summary>
    public void Unpin(long session, ref TtlPinSession state)
    {
        PinnedBlocks -= state.Blocks;
        state.Pinned = false;
        for (int i = 0; i < _count; i++)
        {
            if (_pinned[i] == session)
            {
                _pinned[i] = _pinned[--_count];
                break;
            }
        }
    }

    /// <summary>Drops every pin that has run out by <paramref name="now"/>.</summary>
    public void Sweep(SessionMap<TtlPinSession> sessions, double now)
    {
        if (now < _nextExpiry)
        {
            return;
        }

        double next = double.PositiveInfinity;
        for (int i = _count - 1; i >= 0; i--)
        {
            long session = _pinned[i];
            ref TtlPinSession state = ref sessions.Find(session);
            if (Unsafe.IsNullRef(ref state))
            {
                _pinned[i] = _pinned[--_count];
                continue;
            }

            if (state.PinUntil <= now)
            {
                PinnedBlocks -= state.Blocks;
                state.Pinned = false;
                _pinned[i] = _pinned[--_count];
                if (state.Blocks <= 0)
                {
                    sessions.Removed(session, now); // its entry stayed only for this list
                }
            }
            else
            {
                next = Math.Min(next, state.PinUntil);
            }
        }

        _nextExpiry = next;
    }
}
