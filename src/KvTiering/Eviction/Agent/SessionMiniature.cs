using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// One miniature cache of <see cref="AgentMiniatures"/>: per sampled session slot the length of its resident prefix,
/// evicted tail first from the session its ordering ranks last (the session itself when that is the one referencing:
/// the bypass). Ranks sessions by expected wait when <c>predict</c>, by idle time otherwise.
/// </summary>
internal sealed class SessionMiniature(AgentSessionRanking table, bool predict, int capacity)
{
    private int[] _resident = new int[64];
    private int[] _position = new int[64]; // index in _active, while the slot is active
    private int[] _active = new int[64];   // sessions with a resident prefix
    private int _activeCount;
    private long _total;
    private int _victim = -1;
    private double _victimScore;
    private double _victimNow = double.NaN;

    /// <summary>Blocks hit, decayed.</summary>
    public double Hits;

    /// <summary>Whether the block at <paramref name="depth"/> of the session in <paramref name="slot"/> is resident.</summary>
    public bool Holds(int slot, int depth) => slot < _resident.Length && depth < _resident[slot];

    /// <summary>The session in <paramref name="slot"/> references its block at <paramref name="depth"/>.</summary>
    public void Reference(int slot, int depth, double now, bool newRequest)
    {
        if (slot >= _resident.Length)
        {
            Grow(slot);
        }

        if (newRequest && _victim >= 0)
        {
            // The session's score changed with its new request.
            if (slot == _victim)
            {
                _victim = -1;
            }
            else if (_resident[slot] > 0 && table.MiniatureScore(slot, now, predict) > _victimScore)
            {
                _victim = slot;
                _victimScore = table.MiniatureScore(slot, now, predict);
            }
        }

        int resident = _resident[slot];
        if (depth < resident)
        {
            Hits++;
            return;
        }

        if (depth > resident)
        {
            return; // the prefix broke earlier in this request (bypassed or evicted): no orphaned tail
        }

        if (resident == 0)
        {
            Activate(slot, now);
        }

        _resident[slot] = resident + 1;
        if (++_total <= capacity)
        {
            return;
        }

        int victim = Victim(now);
        if (victim >= 0)
        {
            _total--;
            if (--_resident[victim] == 0)
            {
                Deactivate(victim);
            }
        }
    }

    /// <summary>The session in <paramref name="slot"/> is forgotten: its prefix leaves.</summary>
    public void Drop(int slot)
    {
        if (slot < _resident.Length && _resident[slot] > 0)
        {
            _total -= _resident[slot];
            _resident[slot] = 0;
            Deactivate(slot);
        }
    }

    private int Victim(double now)
    {
        if (_victim >= 0 && now - _victimNow <= table.RequestWindowSeconds)
        {
            return _victim;
        }

        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < _activeCount; i++)
        {
            int s = _active[i];
            double score = table.MiniatureScore(s, now, predict);
            if (score > bestScore)
            {
                bestScore = score;
                best = s;
            }
        }

        _victim = best;
        _victimScore = bestScore;
        _victimNow = now;
        return best;
    }

    private void Activate(int slot, double now)
    {
        _position[slot] = _activeCount;
        _active[_activeCount++] = slot;
        if (_victim >= 0 && table.MiniatureScore(slot, now, predict) > _victimScore)
        {
            _victim = slot;
            _victimScore = table.MiniatureScore(slot, now, predict);
        }
    }

    private void Deactivate(int slot)
    {
        int i = _position[slot];
        int last = _active[--_activeCount];
        _active[i] = last;
        _position[last] = i;
        _position[slot] = -1;
        if (slot == _victim)
        {
            _victim = -1;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int slot)
    {
        int size = Math.Max(slot + 1, _resident.Length * 2);
        Array.Resize(ref _resident, size);
        Array.Resize(ref _position, size);
        Array.Resize(ref _active, size);
    }
}
