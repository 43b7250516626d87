using System.Runtime.CompilerServices;
using KvTiering.Diagnostics;
using KvTiering.Placement;

namespace KvTiering.Store;

/// <summary>
/// The byte I/O of a move: reads a block about to move out of its tier (its staging copy while a write-behind is in
/// flight, a memory tier's bytes in place, or a device read into scratch) and writes a block into a free slot, booking
/// the counters and a failed write. <see cref="BlockMover"/> decides what moves where; this only reads and writes.
/// Call under the store's lock.
/// </summary>
/// <remarks>
/// Device reads and writes run outside the seqlock's odd window (<see cref="TopTierReader.Pause"/>): the slot read
/// stays mapped and unchanged, and the slot written is mapped by no entry yet, so lock-free readers may overlap both.
/// </remarks>
internal sealed class BlockIo
{
    private readonly BlockTable _table;
    private readonly TopTierReader _top;
    private readonly SlotBinding _slots;
    private readonly StoreCounters _counters;
    private readonly IPlacementHooks _placement;
    private readonly WriteBehind _writeBehind;
    private readonly StoreLog _log;
    private readonly bool _metadataOnly;
    private readonly byte[] _scratch;

    public BlockIo(BlockTable table, TopTierReader top, SlotBinding slots, StoreCounters counters,
        IPlacementHooks placement, WriteBehind writeBehind, StoreLog log, bool metadataOnly, int blockBytes)
    {
        _table = table;
        _top = top;
        _slots = slots;
        _counters = counters;
        _placement = placement;
        _writeBehind = writeBehind;
        _log = log;
        _metadataOnly = metadataOnly;
        _scratch = new byte[blockBytes];
    }

    /// <summary>
    /// Writes a block's bytes into a free slot and (unless <paramref name="bind"/> is false) binds it; on an I/O failure
    /// the slot goes back and false returns. The write runs outside the seqlock's odd window: no entry maps the slot yet,
    /// so no lock-free reader can be reading it.
    /// </summary>
    public bool WriteInto(int e, Tier tier, int slot, ReadOnlySpan<byte> bytes, bool bind = true)
    {
        if (!tier.DeviceIsInert && !TryWrite(e, tier, slot, bytes))
        {
            return false;
        }

        _counters.Write(tier, bytes.Length);
        if (bind)
        {
            _slots.Bind(e, tier, slot);
            tier.OnInsert(slot);
        }

        return true;
    }

    /// <summary>The device write of <see cref="WriteInto"/>; on an I/O failure the slot goes back and false returns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryWrite(int e, Tier tier, int slot, ReadOnlySpan<byte> bytes)
    {
        bool paused = !_metadataOnly && _top.Pause();
        try
        {
            tier.Device.Write(slot, _table.Keys[e], _table.Parents[e], bytes);
        }
        catch (IOException ex)
        {
            _top.Resume(paused);
            WriteFailed(e, tier, slot, ex);
            return false;
        }

        _top.Resume(paused);
        return true;
    }

    /// <summary>Books a failed write of a new block into <paramref name="slot"/> of <paramref name="tier"/> and gives the slot back.</summary>
    public void WriteFailed(int e, Tier tier, int slot, IOException ex)
    {
        tier.Counters.WriteFailures++;
        _log.WriteFailures.Failed(tier.Index, tier.Profile.Name, _table.Keys[e], ex);
        _placement.Note(PlacementAction.WriteFailed, PlacementReason.WriteFailure, e, -1, tier.Index);
        tier.MarkWriteFailed(slot, ex);
        tier.ReturnSlot(slot);
    }

    /// <summary>The bytes of a block about to move; false (and the block dropped) when they fail verification.</summary>
    public bool TryReadForMove(int e, Tier from, out ReadOnlySpan<byte> bytes)
    {
        int slot = _table.Slot[e];
        if (_metadataOnly)
        {
            bytes = default;
            _counters.Read(from, 0);
            return true;
        }

        if (_table.Staging[e] is >= 0 and int staging)
        {
            bytes = _writeBehind.Staged(staging); // its write-behind is in flight: the staging copy is the block
            _counters.Read(from, bytes.Length);
            return true;
        }

        if (from.Direct is { } memory)
        {
            bytes = memory.Payload(slot);
            _counters.Read(from, bytes.Length);
            return true;
        }

        bool paused = _top.Pause(); // the slot stays mapped and unchanged: readers may overlap the read
        int read = from.Device.Read(slot, _table.Keys[e], _scratch);
        _top.Resume(paused);
        if (read < 0)
        {
            _slots.DropUnreadable(e, from);
            bytes = default;
            return false;
        }

        bytes = _scratch.AsSpan(0, read);
        _counters.Read(from, read);
        return true;
    }

    /// <summary>The payload length of entry <paramref name="e"/> in <paramref name="tier"/>, from its staging copy while that is the block.</summary>
    public int PayloadLength(int e, Tier tier) =>
        _table.Staging[e] is >= 0 and int staging ? _writeBehind.Staged(staging).Length : tier.Device.PayloadLength(_table.Slot[e]);
}
