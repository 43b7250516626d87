using System.Buffers;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// Where blocks are, moving nothing and telling no policy: a request's resident prefix (per tier) and one block's
/// tier. The table is read lock-free first, checked by the store's version (<see cref="TopTierReader.TryBeginRead"/>); otherwise the table is read under
/// the lock, and a prefix that runs past the local tiers is continued in a remote source (<see cref="RemoteQueries"/>),
/// whose round trip runs without the lock.
/// </summary>
internal sealed class ResidencyLookup
{
    private readonly BlockTable _table;
    private readonly TopTierReader _top;
    private readonly RemoteQueries _remote;
    private readonly int _tierCount;

    public ResidencyLookup(BlockTable table, TopTierReader top, RemoteQueries remote, int tierCount)
    {
        _table = table;
        _top = top;
        _remote = remote;
        _tierCount = tierCount;
    }

    /// <summary>
    /// How many leading blocks of <paramref name="keys"/> are resident, and where (see <see cref="TieredKvStore.MatchPrefix(ReadOnlySpan{BlockKey}, Span{int})"/>).
    /// The local walk runs lock-free where it can, else under the lock; a prefix that stops locally is continued by the
    /// shared tier (<see cref="RemoteQueries.Query"/>), whose round trip runs without the lock, and then walked again with
    /// the table re-read (a block may have come or gone meanwhile; the answer is a hint either way).
    /// </summary>
    public PrefixMatch MatchPrefix(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<int> tiers)
    {
        store.ThrowIfDisposed();
        PrefixMatch match = Walk(store, keys, tiers, remoteFrom: 0, remoteEnd: 0);
        int stop = match.Blocks;
        if (stop == keys.Length || !_remote.MayHaveMore)
        {
            return match;
        }

        int end = _remote.Query(store, keys, stop);
        return end == stop ? match : Walk(store, keys, tiers, stop, end);
    }

    /// <summary>
    /// The leading blocks the table holds, or, for keys[<paramref name="remoteFrom"/>..<paramref name="remoteEnd"/>)
    /// that it lacks, the shared tier holds: lock-free where it can be, else under the lock.
    /// </summary>
    private PrefixMatch Walk(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<int> tiers, int remoteFrom, int remoteEnd)
    {
        if (TryWalk(keys, tiers, remoteFrom, remoteEnd, out PrefixMatch match))
        {
            return match;
        }

        match = default;
        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int i = 0;
            for (; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                int tier = e >= 0 ? _table.Tier[e] : i >= remoteFrom && i < remoteEnd ? _remote.TierIndex : -1;
                if (tier < 0) // absent, or a put still copying it in
                {
                    break;
                }

                match.Count(tier);
                if (i < tiers.Length)
                {
                    tiers[i] = tier;
                }
            }

            match.Blocks = i;
        }

        return match;
    }

    /// <summary>
    /// Which of <paramref name="keys"/> the store holds (see <see cref="TieredKvStore.Holds"/>): resident in a tier, read
    /// from the table as <see cref="TierOf"/> reads it; the ones the table lacks are then asked of the shared tier
    /// together, in one query without the lock (<see cref="RemoteQueries.Held"/>). Only those: a store whose table holds
    /// them all makes no round trip.
    /// </summary>
    public int Holds(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<bool> held)
    {
        int count = HoldsLocally(store, keys, held, out int lacking);
        if (lacking == 0 || !_remote.MayHaveMore)
        {
            return count;
        }

        BlockKey[] asked = ArrayPool<BlockKey>.Shared.Rent(lacking);
        bool[] answers = ArrayPool<bool>.Shared.Rent(lacking);
        try
        {
            int n = Lacking(keys, held, asked);
            answers.AsSpan(0, n).Clear();
            _remote.Held(store, asked.AsSpan(0, n), answers.AsSpan(0, n));
            return count + Merge(keys, held, answers);
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(answers);
            ArrayPool<BlockKey>.Shared.Return(asked);
        }
    }

    /// <summary><see cref="Holds"/> with the shared tier's query awaited (see <see cref="TieredKvStore.HoldsAsync"/>).</summary>
    public async ValueTask<int> HoldsAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, Memory<bool> held,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int count = HoldsLocally(store, keys.Span, held.Span, out int lacking);
        if (lacking == 0 || !_remote.MayHaveMore)
        {
            return count;
        }

        BlockKey[] asked = ArrayPool<BlockKey>.Shared.Rent(lacking);
        bool[] answers = ArrayPool<bool>.Shared.Rent(lacking);
        try
        {
            int n = Lacking(keys.Span, held.Span, asked);
            answers.AsSpan(0, n).Clear();
            await _remote.HeldAsync(store, asked.AsMemory(0, n), answers.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            return count + Merge(keys.Span, held.Span, answers);
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(answers);
            ArrayPool<BlockKey>.Shared.Return(asked);
        }
    }

    /// <summary>Marks the keys resident in a tier (read from the table as <see cref="TierOf"/> reads it); how many are.</summary>
    private int HoldsLocally(TieredKvStore store, ReadOnlySpan<BlockKey> keys, Span<bool> held, out int lacking)
    {
        store.ThrowIfDisposed();
        if (held.Length < keys.Length)
        {
            ThrowHelper.ThrowArgument(nameof(held), $"held has {held.Length} places for {keys.Length} keys.");
        }

        int count = 0;
        lacking = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            held[i] = !keys[i].IsEmpty && TierOf(store, keys[i]) >= 0;
            count += held[i] ? 1 : 0;
            lacking += held[i] || keys[i].IsEmpty ? 0 : 1;
        }

        return count;
    }

    /// <summary>Copies the non-empty keys not held locally into <paramref name="asked"/>, in order; how many.</summary>
    private static int Lacking(ReadOnlySpan<BlockKey> keys, ReadOnlySpan<bool> held, BlockKey[] asked)
    {
        int n = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (!held[i] && !keys[i].IsEmpty)
            {
                asked[n++] = keys[i];
            }
        }

        return n;
    }

    /// <summary>Marks the keys the shared tier answered for (in <see cref="Lacking"/>'s order); how many it holds.</summary>
    private static int Merge(ReadOnlySpan<BlockKey> keys, Span<bool> held, bool[] answers)
    {
        int found = 0;
        for (int i = 0, a = 0; i < keys.Length; i++)
        {
            if (!held[i] && !keys[i].IsEmpty)
            {
                held[i] = answers[a++];
                found += held[i] ? 1 : 0;
            }
        }

        return found;
    }

    /// <summary>The tier that holds <paramref name="key"/>, or -1.</summary>
    public int TierOf(TieredKvStore store, in BlockKey key)
    {
        store.ThrowIfDisposed();
        if (TryTierOf(key, out int resident))
        {
            return resident;
        }

        lock (_top.Lock)
        {
            store.ThrowIfDisposed();
            int e = _table.Find(key);
            return e < 0 ? -1 : _table.Tier[e];
        }
    }

    /// <summary>
    /// <see cref="Walk"/> without the lock (it moves nothing and tells no policy, so only the table must hold still);
    /// false means "take the locked path": a writer ran, or a probe met an entry being changed.
    /// </summary>
    private bool TryWalk(ReadOnlySpan<BlockKey> keys, Span<int> tiers, int remoteFrom, int remoteEnd, out PrefixMatch match)
    {
        match = default;
        if (!_top.TryBeginRead(out long version))
        {
            return false;
        }

        BlockTable table = _table;
        int i = 0;
        for (; i < keys.Length; i++)
        {
            int e = table.FindOptimistic(keys[i]);
            int tier;
            if (e < 0)
            {
                if (e == -2)
                {
                    return false;
                }

                if (i < remoteFrom || i >= remoteEnd)
                {
                    break;
                }

                tier = _remote.TierIndex;
            }
            else
            {
                tier = table.Tier[e];
                if ((uint)tier >= (uint)_tierCount)
                {
                    return false; // an entry being recycled under us, or a put still copying it in: the lock decides
                }
            }

            match.Count(tier);
            if (i < tiers.Length)
            {
                tiers[i] = tier;
            }
        }

        match.Blocks = i;
        return _top.IsValid(version);
    }

    /// <summary>The tier holding <paramref name="key"/> (or -1) without the lock; false means "take the locked path".</summary>
    private bool TryTierOf(in BlockKey key, out int tier)
    {
        tier = -1;
        if (!_top.TryBeginRead(out long version))
        {
            return false;
        }

        int e = _table.FindOptimistic(key);
        if (e == -2)
        {
            return false;
        }

        tier = e < 0 ? -1 : _table.Tier[e];
        return _top.IsValid(version);
    }
}
