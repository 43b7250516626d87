using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The lock-free probes of <see cref="BlockIndex"/>, over the index's own arrays: a reader holds it in place (a field
/// of its own object), so a hit loads the buckets and keys from there instead of through the table, one dependent
/// load fewer on the path every lookup takes.
/// </summary>
internal readonly struct TopSlotProbe
{
    private readonly IndexBucket[] _buckets;
    private readonly BlockKey[] _keys;
    private readonly int _mask;

    public TopSlotProbe(IndexBucket[] buckets, BlockKey[] keys, int mask)
    {
        _buckets = buckets;
        _keys = keys;
        _mask = mask;
    }

    /// <summary>
    /// The top-tier slot of <paramref name="key"/>; -1 when the probe met an empty bucket (absent, unless a writer ran);
    /// -2 for anything else (in a lower tier, a probe a writer disturbed, or one that met a removal's tombstone, which
    /// the locked path passes; at most 16 stand): the reference-bit hit's probe, which
    /// needs no entry. One 8-byte read per bucket, unchecked (the bucket array's length is <c>_mask + 1</c> for the
    /// table's life), keeps the probe in few registers. It is a loop of its own rather than a decoding of
    /// <see cref="FindOptimistic(in BlockKey, out int)"/>'s answer: sharing one probe cost the hit 0.15 ns (2.5%).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key)
    {
        ref IndexBucket first = ref MemoryMarshal.GetArrayDataReference(_buckets);
        BlockKey[] keys = _keys;
        int mask = _mask;
        int i = BlockIndex.Hash(key) & mask;
        Vector128<ulong> wanted = AsVector(in key); // one register for the compare, not two and their copies
        for (int probes = 0; probes <= mask; probes++)
        {
            ulong bucket = Unsafe.As<IndexBucket, ulong>(ref Unsafe.Add(ref first, i));
            uint e = (uint)bucket - 1;
            if (e >= (uint)keys.Length)
            {
                return e == uint.MaxValue ? -1 : -2;
            }

            if (AsVector(in keys[e]) == wanted)
            {
                int slot = (int)(bucket >> 32) - 1;
                return slot >= 0 ? slot : -2;
            }

            i = (i + 1) & mask;
        }

        return -2;
    }

    /// <summary>
    /// <see cref="BlockIndex.Find(in BlockKey)"/> for a reader that holds no lock: the table may change under it, so the probe is bounded and
    /// any answer is only a candidate the caller validates (seqlock) before trusting it. -2 means "gave up".
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOptimistic(in BlockKey key) => FindOptimistic(key, out _);

    /// <summary>
    /// <see cref="FindOptimistic(in BlockKey)"/>, also giving the entry's slot when it lies in the top tier (else -1),
    /// read from its bucket: a top-tier hit touches the bucket's line and the key's, and nothing else of the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOptimistic(in BlockKey key, out int topSlot)
    {
        IndexBucket[] buckets = _buckets;
        BlockKey[] keys = _keys;
        int mask = _mask;
        int i = BlockIndex.Hash(key) & mask;
        for (int probes = 0; probes <= mask; probes++)
        {
            IndexBucket bucket = buckets[i];
            int e = bucket.Entry - 1;
            if ((uint)e >= (uint)keys.Length)
            {
                if (bucket.Entry == BlockIndex.Tombstone)
                {
                    i = (i + 1) & mask;
                    continue;
                }

                topSlot = -1;
                return e < 0 ? -1 : -2;
            }

            if (keys[e].Equals(key))
            {
                topSlot = bucket.TopSlot - 1;
                return e;
            }

            i = (i + 1) & mask;
        }

        topSlot = -1;
        return -2;
    }

    /// <summary>A key's two halves as one vector (<see cref="BlockKey"/> is <c>Low</c> then <c>High</c>, 16 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> AsVector(in BlockKey key) =>
        Vector128.LoadUnsafe(ref Unsafe.As<BlockKey, ulong>(ref Unsafe.AsRef(in key)));
}
