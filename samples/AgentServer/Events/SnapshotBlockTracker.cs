using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;

namespace AgentServer.Events;

/// <summary>
/// Turns the store's events, which are about snapshot pieces (a saved prompt's manifest and state chunks), into the
/// block events a KV-aware router expects: one per token block of each prompt the server can restore, under the block
/// hash the router computes from the prompt's tokens, in the medium the restore would read it from.
/// </summary>
/// <remarks>
/// <para>A saved prompt (<see cref="Register"/>) is held while every one of its pieces is resident in some tier; it is
/// held in the slowest of its pieces' fastest copies (a restore reads each piece from its fastest copy, and waits for
/// the slowest). Its token blocks are then published as held in that tier's medium. Prompts that share leading blocks
/// (a system prompt, an earlier turn) share them here too: a block is reference-counted per tier, so it is stored
/// once, when the first prompt holding it there arrives, and removed when the last one leaves — a second request on
/// the same prefix adds no event. When a prompt moves tier (DRAM to flash, or back up), its blocks are stored in the
/// new medium before they are removed from the old one, so a router never sees them nowhere.</para>
/// <para>Never over-reports: a prompt stops being held as soon as any piece leaves the store. A piece caught between
/// a demotion's two events is asked of the store, so a move never shows as a removal. Not thread-safe: one pump
/// (<see cref="ServerKvEvents"/>) drives it.</para>
/// </remarks>
internal sealed class SnapshotBlockTracker(Action<KvEvent> emit, Func<BlockKey, bool> resident)
{
    private const int MaxTiers = 32;
    private readonly Dictionary<BlockKey, uint> _tiers = [];            // store key → bit per tier holding it
    private readonly Dictionary<BlockKey, Held> _byPiece = [];          // snapshot piece → its prompt
    private readonly Dictionary<BlockKey, Held> _prompts = [];          // snapshot key → prompt
    private readonly Dictionary<(ulong Hash, int Tier), int> _refs = []; // published block → prompts holding it there
    private readonly HashSet<Held> _dirty = [];
    private readonly TierKind[] _media = new TierKind[MaxTiers];
    private readonly UnclaimedBlocks _unclaimed = new();

    /// <summary>Prompts currently published as held.</summary>
    public int HeldPrompts { get; private set; }

    /// <summary>Applies one store event (an <see cref="KvEventKind.AllCleared"/> drops everything the store held).</summary>
    public void Apply(in KvEvent e)
    {
        switch (e.Kind)
        {
            case KvEventKind.AllCleared:
                _tiers.Clear();
                _unclaimed.Clear();
                _dirty.UnionWith(_prompts.Values);
                return;
            case KvEventKind.Stored when e.Tier is >= 0 and < MaxTiers:
                _media[e.Tier] = e.Medium;
                _tiers[e.Key] = _tiers.GetValueOrDefault(e.Key) | (1u << e.Tier);
                if (e.Medium is TierKind.Flash or TierKind.Remote && !_byPiece.ContainsKey(e.Key))
                {
                    _unclaimed.Add(e.Key, e.Parent); // what a restart found, or a piece of a save not yet registered
                }

                break;
            case KvEventKind.Removed when e.Tier is >= 0 and < MaxTiers && _tiers.TryGetValue(e.Key, out uint mask):
                mask &= ~(1u << e.Tier);
                if (mask == 0)
                {
                    _tiers.Remove(e.Key);
                    _unclaimed.Remove(e.Key);
                }
                else
                {
                    _tiers[e.Key] = mask;
                }

                break;
            default:
                return;
        }

        if (_byPiece.TryGetValue(e.Key, out Held? prompt))
        {
            _dirty.Add(prompt);
        }
    }

    /// <summary>
    /// A prompt the server saved: its snapshot's key and store pieces (<c>LlamaPrefixCache.GetSnapshotKeys</c>) and the
    /// router's hashes of its full token blocks. Call after the save's store events have been applied; a prompt whose
    /// pieces are all gone already is forgotten at the next <see cref="Settle"/>.
    /// </summary>
    public void Register(in BlockKey snapshot, BlockKey[] pieces, ulong[] blockHashes)
    {
        if (_prompts.TryGetValue(snapshot, out Held? known))
        {
            _dirty.Add(known);
            return;
        }

        var prompt = new Held(snapshot, pieces, blockHashes);
        _prompts[snapshot] = prompt;
        foreach (BlockKey piece in pieces)
        {
            _byPiece[piece] = prompt;
            _unclaimed.Remove(piece);
        }

        _dirty.Add(prompt);
    }

    /// <summary>
    /// Adds to <paramref name="manifests"/> the store keys, each offered once, that may be the manifests of snapshots
    /// no saved prompt accounts for (<see cref="UnclaimedBlocks"/>): at startup, those the flash tier kept from the last
    /// run. The caller reads each and <see cref="Register"/>s the ones that are.
    /// </summary>
    public void TakeUnclaimedManifests(List<BlockKey> manifests) => _unclaimed.TakeLeaves(manifests);

    /// <summary>Publishes what changed since the last call: the blocks of prompts that arrived, moved tier or left.</summary>
    public void Settle()
    {
        foreach (Held prompt in _dirty)
        {
            int tier = TierOf(prompt);
            if (tier < 0 && Lagging(prompt))
            {
                continue; // a piece is mid-move (its removal read, its store not yet): that event will dirty it again
            }

            if (tier < 0 && !AnyResident(prompt))
            {
                Forget(prompt); // kept while a piece is left: a demotion's removal may be read before its store
            }

            if (tier == prompt.Tier)
            {
                continue;
            }

            if (tier >= 0)
            {
                Hold(prompt.Hashes, tier);
            }

            if (prompt.Tier >= 0)
            {
                Release(prompt.Hashes, prompt.Tier);
            }

            HeldPrompts += (tier >= 0 ? 1 : 0) - (prompt.Tier >= 0 ? 1 : 0);
            prompt.Tier = tier;
        }

        _dirty.Clear();
    }

    /// <summary>
    /// Forgets where every piece is and every published block, as after lost store events; the caller publishes
    /// <c>AllBlocksCleared</c> and follows the store afresh with a snapshot. The registered prompts are kept (which
    /// pieces make each, and its hashes, do not change): once the snapshot is applied, the next <see cref="Settle"/>
    /// publishes each one whose pieces are all resident again, in the medium they are in now, and forgets the rest.
    /// </summary>
    public void Reset()
    {
        _tiers.Clear();
        _refs.Clear();
        _unclaimed.Clear();
        foreach (Held prompt in _prompts.Values)
        {
            prompt.Tier = -1;
        }

        _dirty.UnionWith(_prompts.Values);
        HeldPrompts = 0;
    }

    /// <summary>The tier a restore of <paramref name="prompt"/> reads last from, or −1 when a piece is missing.</summary>
    private int TierOf(Held prompt)
    {
        int slowest = -1;
        foreach (BlockKey piece in prompt.Pieces)
        {
            if (!_tiers.TryGetValue(piece, out uint mask))
            {
                return -1;
            }

            slowest = Math.Max(slowest, BitOperations.TrailingZeroCount(mask));
        }

        return slowest;
    }

    /// <summary>
    /// Whether a piece these events say is gone is in the store after all. A demotion raises "removed from DRAM" and
    /// then "stored in flash"; the pump may read between the two. The store answers under its lock, so when it says
    /// resident, the event that put the piece back is queued and will be read.
    /// </summary>
    private bool Lagging(Held prompt)
    {
        foreach (BlockKey piece in prompt.Pieces)
        {
            if (!_tiers.ContainsKey(piece) && resident(piece))
            {
                return true;
            }
        }

        return false;
    }

    private bool AnyResident(Held prompt)
    {
        foreach (BlockKey piece in prompt.Pieces)
        {
            if (_tiers.ContainsKey(piece))
            {
                return true;
            }
        }

        return false;
    }

    private void Hold(ulong[] hashes, int tier)
    {
        for (int i = 0; i < hashes.Length; i++)
        {
            ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(_refs, (hashes[i], tier), out _);
            if (++count == 1)
            {
                // Consecutive new blocks chain parent to child, so the publisher sends them as one BlockStored.
                emit(new KvEvent(0, KvEventKind.Stored, AsKey(hashes[i]), i == 0 ? BlockKey.Empty : AsKey(hashes[i - 1]), tier, _media[tier]));
            }
        }
    }

    private void Release(ulong[] hashes, int tier)
    {
        for (int i = hashes.Length - 1; i >= 0; i--) // leaves first: a router's tree never holds a child without its parent
        {
            ref int count = ref CollectionsMarshal.GetValueRefOrNullRef(_refs, (hashes[i], tier));
            if (Unsafe.IsNullRef(ref count))
            {
                continue;
            }

            if (--count == 0)
            {
                _refs.Remove((hashes[i], tier));
                emit(new KvEvent(0, KvEventKind.Removed, AsKey(hashes[i]), BlockKey.Empty, tier, _media[tier]));
            }
        }
    }

    private void Forget(Held prompt)
    {
        _prompts.Remove(prompt.Snapshot);
        foreach (BlockKey piece in prompt.Pieces)
        {
            _byPiece.Remove(piece);
        }
    }

    /// <summary>A published hash as a key: the publisher sends the low half; the high half keeps it from the empty key.</summary>
    private static BlockKey AsKey(ulong hash) => new(hash, 1);

    private sealed class Held(BlockKey snapshot, BlockKey[] pieces, ulong[] hashes)
    {
        public BlockKey Snapshot { get; } = snapshot;

        public BlockKey[] Pieces { get; } = pieces;

        public ulong[] Hashes { get; } = hashes;

        /// <summary>The tier its blocks are published in, or −1 while not published.</summary>
        public int Tier { get; set; } = -1;
    }
}
