namespace KvTiering.Eviction;

/// <summary>
/// Which ordering the tier runs on: expected return or recency, chosen by miniature simulation. A hashed sample of
/// the sessions (1 in <see cref="AgentPolicyOptions.MiniatureRate"/>) is replayed, metadata only, into two small
/// caches of the tier's capacity scaled by the same rate, one ranking sessions by expected return and one by recency;
/// the tier follows whichever has recently hit more.
/// </summary>
/// <remarks>
/// Miniature simulation after Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations"
/// (USENIX ATC 2017): a cache fed a spatially hashed sample of the keys at the sampled share of the capacity behaves
/// like the full cache, so a few small shadow caches can compare configurations online. Here the sample is by session
/// (a session's blocks stay together, as the policy keeps them) and each miniature holds, per sampled session, only the
/// length of its resident prefix (the agent policy never keeps a tail without its prefix), so a reference costs an
/// array read and a hit an add. Unlike a pairwise duel, which judges each disputed eviction alone, the miniatures
/// measure what each ordering's whole set of choices hits, which is where keeping a subset of sessions whole pays.
/// </remarks>
internal sealed partial class AgentSessionTable
{
    private const int PredictOrdering = 0;
    private const int RecencyOrdering = 1;

    private readonly int _miniRate;        // 1 in this many sessions is sampled; 0: no miniatures, always predict
    private readonly double _miniKeep;      // per sampled reference, the share of past hits that still counts
    private readonly Miniature? _miniPredict;
    private readonly Miniature? _miniRecency;
    private bool _predict = true;          // the ordering the tier runs on now

    /// <summary>
    /// Blocks a miniature needs at least: below this many per sampled share, fewer sessions are left out. A miniature
    /// compares orderings only if it holds several whole sessions, and agent contexts run to thousands of blocks (the
    /// median WEKA request is 1,609 blocks of 64 tokens), so this is room for a handful of them.
    /// </summary>
    private const int MinMiniatureBlocks = 8192;

    /// <summary>Past hits fade once the sampled sessions have asked for this many times a miniature's capacity.</summary>
    private const double MiniatureMemory = 128;

    private bool IsSampled(long session) =>
        session != 0 && (uint)(((ulong)session * 0x9E3779B97F4A7C15UL) >> 32) % (uint)_miniRate == 0;

    /// <summary>A sampled session references the block at <paramref name="depth"/>: both miniatures replay it.</summary>
    private void MiniReference(int slot, int depth, double now, bool newRequest)
    {
        Miniature predict = _miniPredict!;
        Miniature recency = _miniRecency!;
        if (!newRequest && predict.Holds(slot, depth) && recency.Holds(slot, depth))
        {
            // A hit in both (most sampled hits): both tallies gain alike, so the choice cannot change.
            predict.Hits = (predict.Hits * _miniKeep) + 1;
            recency.Hits = (recency.Hits * _miniKeep) + 1;
            return;
        }

        predict.Hits *= _miniKeep;
        recency.Hits *= _miniKeep;
        predict.Reference(slot, depth, now, newRequest);
        recency.Reference(slot, depth, now, newRequest);
        bool choice = predict.Hits >= recency.Hits;
        if (choice != _predict)
        {
            _predict = choice;
            _victim = -1;
        }
    }

    /// <summary>A slot is forgotten or reused: its session leaves both miniatures.</summary>
    private void MiniForget(int slot)
    {
        if (_sessions[slot].Sampled)
        {
            _miniPredict!.Drop(slot);
            _miniRecency!.Drop(slot);
            _sessions[slot].Sampled = false;
        }
    }

    private void MiniResize(int size)
    {
        _miniPredict?.Resize(size);
        _miniRecency?.Resize(size);
    }

    /// <summary>How a miniature ranks a sampled session: its expected wait, or its idle time.</summary>
    private double MiniScore(int slot, double now, int ordering) =>
        ordering == PredictOrdering ? ExpectedWait(slot, now, predict: true) : now - _sessions[slot].LastRequest;

    /// <summary>
    /// One miniature cache: per sampled session the length of its resident prefix, evicted tail first from the
    /// session its ordering ranks last (the session itself when that is the one referencing: the bypass).
    /// </summary>
    private sealed class Miniature(AgentSessionTable table, int ordering, int capacity)
    {
        private int[] _resident = new int[64];
        private int[] _position = new int[64]; // index in _active, or -1
        private int[] _active = new int[64];   // sessions with a resident prefix
        private int _activeCount;
        private long _total;
        private int _victim = -1;
        private double _victimScore;
        private double _victimNow = double.NaN;

        /// <summary>Blocks hit, decayed.</summary>
        public double Hits;

        public bool Holds(int slot, int depth) => depth < _resident[slot];

        public void Reference(int slot, int depth, double now, bool newRequest)
        {
            if (newRequest && _victim >= 0)
            {
                // The session's score changed with its new request.
                if (slot == _victim)
                {
                    _victim = -1;
                }
                else if (_resident[slot] > 0 && table.MiniScore(slot, now, ordering) > _victimScore)
                {
                    _victim = slot;
                    _victimScore = table.MiniScore(slot, now, ordering);
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

        public void Drop(int slot)
        {
            if (_resident[slot] > 0)
            {
                _total -= _resident[slot];
                _resident[slot] = 0;
                Deactivate(slot);
            }
        }

        public void Resize(int size)
        {
            int old = _resident.Length;
            Array.Resize(ref _resident, size);
            Array.Resize(ref _position, size);
            Array.Resize(ref _active, size);
            Array.Fill(_position, -1, old, size - old);
        }

        private int Victim(double now)
        {
            if (_victim >= 0 && now - _victimNow <= table._options.RequestWindowSeconds)
            {
                return _victim;
            }

            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int i = 0; i < _activeCount; i++)
            {
                int s = _active[i];
                double score = table.MiniScore(s, now, ordering);
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
            if (_victim >= 0 && table.MiniScore(slot, now, ordering) > _victimScore)
            {
                _victim = slot;
                _victimScore = table.MiniScore(slot, now, ordering);
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
    }
}
