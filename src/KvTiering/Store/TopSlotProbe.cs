using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The reference-bit hit's probe of <see cref="BlockTable"/>'s index, over the index's own arrays: a reader holds it
/// in place (a field of its own object), so a hit loads the buckets and keys from there instead of through the table,
/// one dependent load fewer on the path every lookup takes.
/// </summary>
internal readonly struct TopSlotProbe
{
    private readonly BlockTable.Bucket[] _buckets;
    private readonly BlockKey[] _keys;
    private readonly int _mask;

    public TopSlotProbe(BlockTable.Bucket[] buckets, BlockKey[] keys, int mask)
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
    /// <see cref="BlockTable.FindOptimistic(in BlockKey, out int)"/>'s answer: sharing one probe cost the hit 0.15 ns (2.5%).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in BlockKey key)
    {
        ref BlockTable.Bucket first = ref MemoryMarshal.GetArrayDataReference(_buckets);
        BlockKey[] keys = _keys;
        int mask = _mask;
        int i = BlockTable.Hash(key) & mask;
        Vector128<ulong> wanted = AsVector(in key); // one register for the compare, not two and their copies
        for (int probes = 0; probes <= mask; probes++)
        {
            ulong bucket = Unsafe.As<BlockTable.Bucket, ulong>(ref Unsafe.Add(ref first, i));
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

    /// <summary>A key's two halves as one vector (<see cref="BlockKey"/> is <c>Low</c> then <c>High</c>, 16 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> AsVector(in BlockKey key) =>
        Vector128.LoadUnsafe(ref Unsafe.As<BlockKey, ulong>(ref Unsafe.AsRef(in key)));
}
