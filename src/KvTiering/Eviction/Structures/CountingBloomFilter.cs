using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// libCacheSim's frequency sketch for W-TinyLFU: a counting Bloom filter of 32-bit counters sized for an expected
/// number of entries at a 0.1% error rate (about 14.4 counters per entry, 10 hashes). Adding a key increments all of
/// its counters; the estimate is the smallest; a decay halves every counter.
/// </summary>
/// <remarks>
/// Follows libCacheSim's dataStructure/minimalIncrementCBF.c (github.com/1a1a11a/libCacheSim at aa0fc40) operation
/// for operation, so that <c>wtinylfu:libcachesim=1</c> replays its WTinyLFU: despite the file's name, its add
/// increments every counter of the key, not only the smallest; counters do not saturate; the i-th index is
/// <c>(a + i·b) mod n</c> in 32-bit arithmetic with <c>a</c> and <c>b</c> the low 32 bits of XXH64 over the 8-byte id
/// with seeds 0x12345678 and 0x12344321. The id hashed is the key's low 64 bits: in a <c>kvtier</c> replay of a
/// libCacheSim <c>txt</c> trace that is the object's number in order of first appearance, counting from 1, which is
/// the id libCacheSim's own txt reader gives it (<c>g_quark_from_string</c>), so both hash the same ids.
/// </remarks>
internal sealed class CountingBloomFilter
{
    private const long Seed0 = 0x12345678;
    private const long Seed1 = 0x12344321;

    private readonly uint[] _counters;
    private readonly int _hashes;

    /// <summary>A filter for about <paramref name="entries"/> keys at a 0.1% error rate.</summary>
    public CountingBloomFilter(int entries)
    {
        // minimalIncrementCBF_init(entries, 0.001): bits per entry = −ln(error) / ln(2)², hashes = ⌈ln(2) · bpe⌉.
        double bitsPerEntry = -Math.Log(0.001) / 0.480453013918201;
        _hashes = (int)Math.Ceiling(0.693147180559945 * bitsPerEntry);
        int counters = (int)Math.Min(Math.Ceiling(bitsPerEntry * Math.Max(0, entries)), int.MaxValue);
        _counters = new uint[counters < _hashes ? 2 * _hashes : counters]; // as C: too few counters become 2 × hashes
    }

    /// <summary>The number of hash functions (10 at a 0.1% error rate).</summary>
    public int Hashes => _hashes;

    /// <summary>The number of counters.</summary>
    public int Length => _counters.Length;

    /// <summary>The smallest of <paramref name="key"/>'s counters.</summary>
    public uint Estimate(in BlockKey key)
    {
        (uint a, uint b) = Hash(key);
        uint n = (uint)_counters.Length;
        uint min = uint.MaxValue;
        for (uint i = 0; i < (uint)_hashes; i++)
        {
            min = Math.Min(min, _counters[unchecked(a + (i * b)) % n]);
        }

        return min;
    }

    /// <summary>Increments every counter of <paramref name="key"/>.</summary>
    public void Add(in BlockKey key)
    {
        (uint a, uint b) = Hash(key);
        uint n = (uint)_counters.Length;
        for (uint i = 0; i < (uint)_hashes; i++)
        {
            _counters[unchecked(a + (i * b)) % n]++;
        }
    }

    /// <summary>Halves every counter (libCacheSim's <c>minimalIncrementCBF_decay</c>).</summary>
    public void Decay()
    {
        uint[] counters = _counters;
        for (int i = 0; i < counters.Length; i++)
        {
            counters[i] >>= 1;
        }
    }

    /// <summary>The low 32 bits of XXH64 over the key's low 64 bits (little-endian), with libCacheSim's two seeds.</summary>
    internal static (uint A, uint B) Hash(in BlockKey key)
    {
        Span<byte> id = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(id, key.Low);
        return ((uint)XxHash64.HashToUInt64(id, Seed0), (uint)XxHash64.HashToUInt64(id, Seed1));
    }
}
