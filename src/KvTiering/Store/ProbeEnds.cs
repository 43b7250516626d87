using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// One bit per bucket of a <see cref="BlockTable"/>'s index: the empty buckets at which the arrival lookup of the
/// request being offered ended its probes for absent keys, each still free for the key that ended there. The table
/// clears a bucket's bit when that bucket can no longer take the key (<see cref="BlockTable.Add"/> filled it for
/// another key, or a backward shift emptied a bucket on the way to it), so while the bit is set the key can be
/// added there without probing its home bucket again (<see cref="Tier{TPolicy}.OfferOutright"/>).
/// </summary>
/// <remarks>
/// Why a set bit vouches for its bucket: a key's probe passed only occupied buckets (live entries or tombstones) and
/// ended at its bucket, empty. Until the key is added, a bucket in that run becomes empty only as the last hole of a
/// backward shift, whose scan then stops at the first empty bucket after it, which is this very bucket, and it clears
/// that bucket's bit; a bucket turns from empty to occupied only by an add, and every add but the one for the key that
/// owns the bit clears it. Tombstones stay occupied. So while the bit is set, the key's probe would end there again.
/// </remarks>
internal sealed class ProbeEnds
{
    private readonly ulong[] _words;

    /// <param name="buckets">The index's bucket count.</param>
    public ProbeEnds(int buckets) => _words = new ulong[(buckets + 63) / 64];

    /// <summary>Sets <paramref name="bucket"/>'s bit; returns whether it was clear (no earlier key ended there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Mark(int bucket)
    {
        ref ulong word = ref _words[bucket >> 6];
        ulong bit = 1UL << bucket;
        bool was = (word & bit) != 0;
        word |= bit;
        return !was;
    }

    /// <summary>Whether <paramref name="bucket"/>'s bit is set: it is still free for the key whose probe ended there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Holds(int bucket) => (_words[bucket >> 6] & (1UL << bucket)) != 0;

    /// <summary>Clears <paramref name="bucket"/>'s bit (no key may be added there unprobed any more).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Forget(int bucket) => _words[bucket >> 6] &= ~(1UL << bucket);

    /// <summary>Clears the 64 bits around <paramref name="bucket"/>'s (a request's end: every bit set goes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ForgetWordOf(int bucket) => _words[bucket >> 6] = 0;
}
