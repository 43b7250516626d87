using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Tiers;

namespace KvTiering.Events;

/// <summary>One change to where a block lives, as a store's event subscriber sees it.</summary>
/// <param name="Sequence">
/// The event's number in its subscription, from 0 without holes: a gap means the subscriber fell behind and the events
/// in between were dropped (<see cref="KvEventSubscription.Dropped"/> counts them).
/// </param>
/// <param name="Kind">What happened.</param>
/// <param name="Key">The block's key.</param>
/// <param name="Parent">The block's parent key (<see cref="BlockKey.Empty"/> for a first block or a removal).</param>
/// <param name="Tier">The tier's index in the store, 0 = top.</param>
/// <param name="Medium">The class of memory the tier models (its vLLM <c>medium</c>, see <see cref="KvEventMedium"/>).</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct KvEvent(long Sequence, KvEventKind Kind, BlockKey Key, BlockKey Parent, int Tier, TierKind Medium);
