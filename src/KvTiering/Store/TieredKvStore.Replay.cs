using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Store;

public sealed partial class TieredKvStore
{
    /// <summary>
    /// One trace request, as the harness defines it: look the whole request up at arrival (prefix hit and resident
    /// blocks, per tier), then offer every block in request order. One lock acquisition for the whole request.
    /// </summary>
    /// <param name="keys">The request's block keys, in order; each block's parent is the one before it.</param>
    /// <param name="session">The request's session.</param>
    /// <param name="nextUse">Per block, the index of the next request that uses it (int.MaxValue: never), or empty.</param>
    /// <param name="time">Replay time in seconds.</param>
    /// <param name="prefixPerTier">Receives, per tier, how many prefix blocks it held at arrival (may be empty).</param>
    internal ReplayOutcome ReplayRequest(ReadOnlySpan<BlockKey> keys, long session, ReadOnlySpan<int> nextUse,
        double time, Span<int> prefixPerTier)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _replayNow = time;
            int prefix = -1;
            int resident = 0;
            for (int i = 0; i < keys.Length; i++)
            {
                int e = _table.Find(keys[i]);
                if (e < 0)
                {
                    if (prefix < 0)
                    {
                        prefix = i;
                    }

                    continue;
                }

                resident++;
                if (prefix < 0 && (uint)_table.Tier[e] < (uint)prefixPerTier.Length)
                {
                    prefixPerTier[_table.Tier[e]]++;
                }
            }

            if (prefix < 0)
            {
                prefix = keys.Length;
            }

            BlockKey parent = BlockKey.Empty;
            for (int i = 0; i < keys.Length; i++)
            {
                long next = nextUse.IsEmpty || nextUse[i] == int.MaxValue ? long.MaxValue : nextUse[i];
                PutLocked(keys[i], parent, default, new BlockContext(i, session, next));
                parent = keys[i];
            }

            _puts += keys.Length;
            return new ReplayOutcome(prefix, resident);
        }
    }

    /// <summary>Sets the replay clock without a request (session hints arrive between requests).</summary>
    internal void SetReplayTime(double time)
    {
        lock (_lock)
        {
            _replayNow = time;
        }
    }
}

/// <summary>What one replayed request found at arrival.</summary>
/// <param name="PrefixBlocks">Leading blocks resident.</param>
/// <param name="ResidentBlocks">Blocks resident anywhere in the request.</param>
internal readonly record struct ReplayOutcome(int PrefixBlocks, int ResidentBlocks);
