using System.Buffers;
using System.Runtime.ExceptionServices;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// One prefetch's demotions ahead into a tier whose device declares <see cref="IConcurrentWrites"/>: when the blocks a
/// prefetch moves up land in a full tier, each pushes a victim down, and on a remote tier each victim's write is a round
/// trip. Awaited one after another, a restore of ~190 blocks waits ~190 of them even with its reads in flight together
/// (<see cref="PrefetchWindow"/>). The window begins the victims' moves for the reads in flight at once, each write on
/// the wire while the others are, and completes them in the order they began; each completion frees the slot the next
/// promotion takes. Each write holds a place in the target device's store-wide <see cref="DeviceWriteWindow"/>, taken
/// before its move begins (<see cref="DemotionPlaces"/>), so concurrent prefetches, write-behind and shares keep at
/// most the device's window of writes on it in all.
/// </summary>
/// <remarks>
/// Every move is a <see cref="DeferredDemotion"/>, as one promotion's victim is (<see cref="DemotionCopies"/>): the
/// victim stays mapped, readable and in flight in its slot until its own write has landed, and then moves down only if
/// its entry did not change meanwhile; a write that fails drops its victim, counted, as a demotion's failed write always
/// did; a write that throws anything else (a device's bug) leaves its victim where it was and stops the prefetch, which
/// throws it once the other writes landed. Cancellation stops new moves but not the writes in flight (a write a device gave up half way would leave the
/// victim's fate to chance): each lands and completes, within the device's own timeout, before the prefetch's task
/// completes. A store reader is announced per write, so <see cref="TieredKvStore.Dispose"/> waits for them too.
/// A victim taken ahead that no promotion uses leaves its slot free; it is on the tier below, not lost.
/// </remarks>
internal sealed class DemotionWindow
{
    private readonly BlockMover _mover;
    private readonly TopTierReader _top;
    private readonly int _blockBytes;
    private readonly int[] _windows;
    private readonly DemotionPlaces _places;
    private readonly Move[] _ring;
    private int _head;
    private Tier? _into; // the tier the moves in flight make room in
    private ExceptionDispatchInfo? _failure;

    private DemotionWindow(BlockMover mover, TopTierReader top, int[] windows, DemotionPlaces places, int capacity, int blockBytes)
    {
        _mover = mover;
        _top = top;
        _windows = windows;
        _places = places;
        _blockBytes = blockBytes;
        _ring = new Move[capacity];
    }

    /// <summary>
    /// Per tier, the demotion writes out of it worth keeping in flight: the window of the device below when it declares
    /// <see cref="IConcurrentWrites"/> and the tier keeps its bytes in place (only then do victims move with their copy
    /// outside the lock, as deferred demotions); 1 otherwise, the one-at-a-time path.
    /// </summary>
    public static int[] Windows(Tier[] tiers)
    {
        var windows = new int[tiers.Length];
        for (int t = 0; t < tiers.Length; t++)
        {
            windows[t] = t + 1 < tiers.Length && tiers[t].Direct is not null && tiers[t + 1].Device is IConcurrentWrites writes
                ? writes.WriteWindow
                : 1;
        }

        return windows;
    }

    /// <summary>A window for one prefetch, or null when no tier has a window wider than one.</summary>
    public static DemotionWindow? Create(BlockMover mover, TopTierReader top, int[] windows, DemotionPlaces places, int blockBytes)
    {
        int widest = windows.Max();
        return widest > 1 ? new DemotionWindow(mover, top, windows, places, widest, blockBytes) : null;
    }

    /// <summary>Moves begun and not yet completed.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Before a block moves up into <paramref name="into"/>: begins victims' moves until the tier's free slots and the
    /// moves in flight cover <paramref name="wanted"/> promotions (at most the tier's window in flight, and as many new
    /// moves as the device's write window gives places for, waiting for the first place when none is free), then, if the
    /// tier still has no free slot, waits for the oldest move and completes it. Nothing for a tier without a window.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for a place; no move began.</exception>
    public async ValueTask MakeRoomAsync(TieredKvStore store, Tier into, int wanted, CancellationToken cancellationToken)
    {
        int window = _windows[into.Index];
        if (window == 1)
        {
            return; // its victims go down one at a time, each by its own promotion
        }

        if (_into != into)
        {
            await DrainAsync(store).ConfigureAwait(false); // another tier's moves land first
            _into = into;
        }

        int room = Math.Min(Math.Min(wanted, window), _ring.Length);
        // Places first, outside the lock: an estimate of the moves Begin will start (it checks again under the lock).
        int places = await _places.TakeAsync(into, Math.Min(room - into.FreeSlots - Count, _ring.Length - Count),
            cancellationToken).ConfigureAwait(false);
        int used = 0;
        int before = Count;
        try
        {
            Begin(store, into, room, places, ref used);
        }
        finally
        {
            _places.Return(into, places - used); // places no move took go back at once, to the next writer

            // Every move begun is sent, even if Begin threw after some began: each holds a place and a store reader
            // that only its write's end gives back, and the prefetch's drain completes it in its turn.
            for (int k = before; k < Count; k++)
            {
                Send(ref _ring[(_head + k) % _ring.Length]);
            }
        }

        if (Count > 0 && into.FreeSlots == 0)
        {
            await CompleteOldestAsync(store).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for every move in flight and completes each, in order (the prefetch's end, however it ends).</summary>
    public async ValueTask DrainAsync(TieredKvStore store)
    {
        while (Count > 0)
        {
            await CompleteOldestAsync(store).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a write threw something other than an <see cref="IOException"/> (the prefetch then stops).</summary>
    public bool Failed => _failure is not null;

    /// <summary>Throws the first exception a write threw that was not an <see cref="IOException"/> (its victim stayed where it was).</summary>
    public void ThrowIfFailed() => _failure?.Throw();

    /// <summary>Returns the bounce buffers; call once the window is drained.</summary>
    public void ReturnBuffers()
    {
        for (int i = 0; i < _ring.Length; i++)
        {
            if (_ring[i].Buffer is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _ring[i].Buffer = null;
            }
        }
    }

    /// <summary>
    /// Under the lock: begins victims' moves out of <paramref name="into"/> until <paramref name="room"/> is covered, as
    /// long as <paramref name="places"/> last for those that need one (<paramref name="used"/> counts them); each begun
    /// move is counted in <see cref="Count"/> as it begins.
    /// </summary>
    private void Begin(TieredKvStore store, Tier into, int room, int places, ref int used)
    {
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            while (Count < _ring.Length && into.FreeSlots + Count < room && used < places)
            {
                int free = into.FreeSlots;
                ref Move next = ref _ring[(_head + Count) % _ring.Length];
                next.Demotion = default;
                if (!_mover.DemoteAhead(into, ref next.Demotion))
                {
                    if (into.FreeSlots > free)
                    {
                        continue; // the victim left or moved under the lock: its slot is free already
                    }

                    break; // no victim to move
                }

                next.Place = _places.Taken(into, next.Demotion);
                used += next.Place is null ? 0 : 1;
                _top.EnterReader(); // Dispose (which needs the lock) waits for the copy and the write
                Count++;
            }
        }
    }

    /// <summary>
    /// Outside the lock: starts a begun move's write on a device that takes writes in flight together (its bytes copied
    /// from the victim's slot first), or copies it at once as a single promotion's victim is (a block staged for
    /// write-behind, or sent further down to a tier that does not).
    /// </summary>
    private void Send(ref Move move)
    {
        ref DeferredDemotion demotion = ref move.Demotion;
        DeviceWriteWindow? place = move.Place ?? DemotionPlaces.TryTakeFor(demotion);
        move.Place = null;
        if (place is null || demotion.To.Device is not IConcurrentWrites device)
        {
            try
            {
                _mover.CopyDemotion(ref demotion); // an IOException is booked in the move, as for one promotion's victim
                move.Pending = Task.FromResult<Exception?>(null);
            }
            catch (Exception ex)
            {
                move.Pending = Task.FromResult<Exception?>(ex);
            }
            finally
            {
                _top.ExitReader();
            }

            return;
        }

        try
        {
            move.Buffer ??= ArrayPool<byte>.Shared.Rent(_blockBytes);
            demotion.From.Direct!.Payload(demotion.FromSlot).CopyTo(move.Buffer);
        }
        catch (Exception ex)
        {
            place.Exit();
            _top.ExitReader(); // no write begins: the move is discarded in its turn, its victim where it was
            move.Pending = Task.FromResult<Exception?>(ex);
            return;
        }

        move.Pending = WriteAsync(device, place, demotion, move.Buffer);
    }

    /// <summary>One write; what it threw, or null. Not cancellable: once begun, a move ends by its write's outcome.</summary>
    private async Task<Exception?> WriteAsync(IConcurrentWrites device, DeviceWriteWindow place, DeferredDemotion demotion, byte[] bytes)
    {
        try
        {
            await device.WriteAsync(demotion.ToSlot, demotion.Key, demotion.Parent, bytes.AsMemory(0, demotion.Length),
                CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            place.Exit(); // when the device's write ends, not in the move's turn
            _top.ExitReader();
        }
    }

    /// <summary>Waits for the oldest move's write and completes the move under the lock (nothing to do once the store is disposed).</summary>
    private async ValueTask CompleteOldestAsync(TieredKvStore store)
    {
        Exception? failure = await _ring[_head].Pending.ConfigureAwait(false);
        DeferredDemotion demotion = _ring[_head].Demotion;
        _ring[_head].Pending = null!;
        _ring[_head].Demotion = default;
        _head = (_head + 1) % _ring.Length;
        Count--;
        using (_top.EnterWrite())
        {
            if (store.IsDisposed)
            {
                return; // its devices are closed; the prefetch ends with ObjectDisposedException
            }

            if (failure is IOException io)
            {
                demotion.Failure = io;
            }
            else if (failure is not null)
            {
                _mover.DiscardDemotion(ref demotion);
                _failure ??= ExceptionDispatchInfo.Capture(failure);
                return;
            }

            _mover.CompleteDemotion(ref demotion);
        }
    }

    /// <summary>A victim's move in flight: the move, its place until sent, its bounce buffer (kept for the ring slot's next move) and its write.</summary>
    private struct Move
    {
        public DeferredDemotion Demotion;
        public byte[]? Buffer;
        public DeviceWriteWindow? Place; // the place taken for it before it began (DemotionPlaces), until it is sent
        public Task<Exception?> Pending;
    }
}
