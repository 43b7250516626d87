using System.Buffers;
using System.Runtime.ExceptionServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// One prefetch's reads ahead on tiers whose devices declare <see cref="IConcurrentReads"/>: a remote tier's reads are
/// round trips, so awaiting each before sending the next makes a restore of ~190 blocks wait ~190 round trips. The
/// window sends the next blocks' reads while earlier ones are on the wire (each slot kept from being freed or rewritten
/// by <see cref="BlockPrefetch.BeginAhead"/>), and hands each back in key order (<see cref="CommitAsync"/>), so blocks
/// still move up one at a time and in order: a later block never pushes out an earlier one.
/// </summary>
/// <remarks>
/// A read ahead skips any block that needs more than a read (a staged, in-place or one-at-a-time block, or one the
/// store skips): the window stops there until that block's turn, when the prefetcher deals with it as before. A block
/// whose entry changed while it was read ahead is looked at again in its turn, as a read begun then would have been.
/// A read that throws leaves its block where it was; the reads already in flight still move their blocks, no new one
/// is sent, and the prefetch then throws the first exception. Cancellation reaches every read in flight, and each slot's
/// read ends (<see cref="AbandonAsync"/>) before the prefetch's task completes.
/// </remarks>
internal sealed class PrefetchWindow
{
    private readonly BlockPrefetch _prefetcher;
    private readonly int _blockBytes;
    private readonly Ahead[] _ring;
    private int _head;
    private int _next;
    private ExceptionDispatchInfo? _failure;

    public PrefetchWindow(BlockPrefetch prefetcher, int capacity, int blockBytes)
    {
        _prefetcher = prefetcher;
        _blockBytes = blockBytes;
        _ring = new Ahead[capacity];
    }

    /// <summary>Reads in flight or done and not yet handed back.</summary>
    public int Count { get; private set; }

    /// <summary>Whether a read threw (no new reads are sent).</summary>
    public bool Failed => _failure is not null;

    /// <summary>The tier the oldest read ahead's block moves up into (valid while <see cref="Count"/> is not 0).</summary>
    public int HeadTarget => _ring[_head].Target;

    /// <summary>Whether the oldest read ahead is of the block at <paramref name="index"/>.</summary>
    public bool Holds(int index) => Count > 0 && _ring[_head].Index == index;

    /// <summary>
    /// Sends reads for the blocks from <paramref name="index"/> on (past those already sent), while fewer than
    /// <paramref name="room"/> are in flight and each block's device has a place free in its window (shared with every
    /// other prefetch and batch); stops at the first block that needs more than a read or finds no place.
    /// </summary>
    public void Fill(TieredKvStore store, ReadOnlySpan<BlockKey> keys, int index, int room, CancellationToken cancellationToken)
    {
        _next = Math.Max(_next, index);
        room = Math.Min(room, _ring.Length);
        while (!Failed && _next < keys.Length && Count < room)
        {
            BlockKey key = keys[_next];
            if (!key.IsEmpty)
            {
                if (!_prefetcher.BeginAhead(store, key, out int e, out Tier? from, out int slot, out long stamp, out int target))
                {
                    return;
                }

                ref Ahead read = ref _ring[(_head + Count) % _ring.Length];
                read.Buffer ??= ArrayPool<byte>.Shared.Rent(_blockBytes);
                read.Index = _next;
                read.Entry = e;
                read.From = from!;
                read.Slot = slot;
                read.Stamp = stamp;
                read.Target = target;
                read.Pending = _prefetcher.Reads.Send(from!, slot, key, read.Buffer, cancellationToken);
                Count++;
            }

            _next++;
        }
    }

    /// <summary>
    /// Awaits the oldest read (<see cref="Holds"/> said it is <paramref name="key"/>'s) and moves its block up if its
    /// entry did not change; a changed entry is tried again as one block. True when the block moved.
    /// </summary>
    public async ValueTask<bool> CommitAsync(TieredKvStore store, BlockKey key, CancellationToken cancellationToken)
    {
        Ahead read = _ring[_head];
        _ring[_head].Pending = null!;
        _head = (_head + 1) % _ring.Length;
        Count--;
        int got;
        try
        {
            got = await read.Pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _prefetcher.Reads.Abandon(read.From, read.Slot); // the block stays where it was
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            _failure ??= ExceptionDispatchInfo.Capture(ex);
            return false;
        }

        int outcome = _prefetcher.Finish(store, read.Entry, read.Stamp, read.From, read.Slot, read.Target, got, read.Buffer!);
        return outcome == BlockPrefetch.Changed
            ? await _prefetcher.OneAsync(store, key, read.Buffer, cancellationToken).ConfigureAwait(false)
            : outcome == BlockPrefetch.Moved;
    }

    /// <summary>Throws the first exception a read threw, once the reads in flight with it were handed back.</summary>
    public void ThrowIfFailed() => _failure?.Throw();

    /// <summary>
    /// Waits for every read not handed back (a cancelled or stopped prefetch), ends each, leaving its block where it was,
    /// and returns the buffers. The prefetch's task completes only after: a cancelled read is in flight until then.
    /// </summary>
    public async ValueTask AbandonAsync()
    {
        for (; Count > 0; Count--)
        {
            Ahead read = _ring[_head];
            _ring[_head].Pending = null!;
            _head = (_head + 1) % _ring.Length;
            try
            {
                await read.Pending.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled or failed: either way the block stays where it was, which is what abandoning it means.
            }

            _prefetcher.Reads.Abandon(read.From, read.Slot);
        }

        for (int i = 0; i < _ring.Length; i++)
        {
            if (_ring[i].Buffer is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _ring[i].Buffer = null;
            }
        }
    }

    /// <summary>A read sent ahead: the block's place in the request, its entry as it was when the read began, and the read.</summary>
    private struct Ahead
    {
        public int Index;
        public int Entry;
        public Tier From;
        public int Slot;
        public long Stamp;
        public int Target;
        public byte[]? Buffer;
        public Task<int> Pending;
    }
}
