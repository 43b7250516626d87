using System.Buffers;
using System.Runtime.ExceptionServices;
using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// <see cref="TieredKvStore.ShareAsync"/>: copies blocks the store holds to its shared tier (the first tier whose device
/// is an <see cref="IRemoteBlockSource"/>, as <see cref="RemoteProbe"/> finds it) without moving them, so that every
/// store of a fleet can fetch them when this one is gone. Before, a block reached the shared tier only when the tiers
/// above demoted it, so a server that died took its newest blocks with it.
/// </summary>
/// <remarks>
/// Under the lock only the table is read (which keys are resident, where, and their parents). The bytes are read as
/// <see cref="TieredKvStore.ReadBatchAsync"/> reads them (a lower tier's slot kept while it is read, outside the lock,
/// nothing moved), and the writes are awaited outside the lock, up to the device's
/// <see cref="IConcurrentWrites.WriteWindow"/> of them in flight: each takes a place in the device's store-wide
/// <see cref="DeviceWriteWindow"/> before it is sent (awaited, first come first served, with no lock held; shared with
/// write-behind, prefetches' demotions and every other share) and gives it back when it ends, so several shares at once
/// keep one window on the server in all. A window's blocks are read, sent and landed before the next window's are read.
/// No thread waits on the network.
/// </remarks>
internal sealed class SharedCopies
{
    private readonly BlockTable _table;
    private readonly TopTierReader _top;
    private readonly Tier? _tier;
    private readonly IRemoteBlockSource? _source;
    private readonly DeviceWriteWindow? _places; // the shared tier's device window, when it declares one
    private readonly int _blockBytes;

    public SharedCopies(BlockTable table, Tier? sharedTier, TopTierReader top, int blockBytes)
    {
        _table = table;
        _top = top;
        _tier = sharedTier;
        _source = sharedTier?.Device as IRemoteBlockSource;
        _places = sharedTier?.WriteWindow;
        _blockBytes = blockBytes;
    }

    /// <summary>Whether the store has a shared tier that can take copies.</summary>
    public bool CanShare => _source is { CanShare: true };

    /// <summary>Starts a share (see <see cref="TieredKvStore.ShareAsync"/>); a disposed store and one that cannot share throw here.</summary>
    public Task<ShareResult> Start(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken)
    {
        store.ThrowIfDisposed();
        if (!CanShare)
        {
            ThrowHelper.ThrowNotSupported(_source is null
                ? "The store has no shared tier (no tier's device is an IRemoteBlockSource, or the store is metadata-only); nothing can be shared."
                : $"The shared tier's device ({_tier!.Device.GetType().Name}) cannot write copies (IRemoteBlockSource.CanShare is false).");
        }

        return ShareAsync(store, keys, cancellationToken);
    }

    private async Task<ShareResult> ShareAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, CancellationToken cancellationToken)
    {
        var copy = new BlockKey[keys.Length];
        var parents = new BlockKey[keys.Length];
        int count = Resident(store, keys.Span, copy, parents, out int already, out int notResident);
        var outcome = new ShareResult(0, already, notResident, 0, 0);
        if (count == 0)
        {
            return outcome;
        }

        if (!CanWriteNow())
        {
            return outcome with { Unavailable = count }; // nothing read, nothing sent
        }

        // A window's blocks at a time: read them, send them all, and reuse the buffer once they landed, so a share of a
        // large snapshot holds one window of bytes, not a copy of the whole snapshot.
        int window = Math.Max(1, (_tier!.Device as IConcurrentWrites)?.WriteWindow ?? 1);
        int group = Math.Min(window, count);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(group * _blockBytes);
        var reads = new BlockRead[group];
        try
        {
            for (int start = 0; start < count; start += group)
            {
                int n = Math.Min(group, count - start);
                Array.Clear(reads);
                await store.ReadBatchAsync(copy.AsMemory(start, n), buffer, reads.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                outcome = outcome.Add(await WriteAsync(store, copy.AsMemory(start, n), parents.AsMemory(start, n), reads, buffer, window,
                    cancellationToken).ConfigureAwait(false));
            }

            return outcome;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Under the lock: the keys to copy (resident, not in the shared tier itself) with their parents, packed into
    /// <paramref name="copy"/> and <paramref name="parents"/>; how many.
    /// </summary>
    private int Resident(TieredKvStore store, ReadOnlySpan<BlockKey> keys, BlockKey[] copy, BlockKey[] parents, out int already,
        out int notResident)
    {
        already = 0;
        notResident = 0;
        int count = 0;
        using (_top.EnterWrite())
        {
            store.ThrowIfDisposed();
            foreach (BlockKey key in keys)
            {
                int e = key.IsEmpty ? -1 : _table.Find(key);
                if (e < 0)
                {
                    notResident++;
                }
                else if (_table.Tier[e] == _tier!.Index)
                {
                    already++; // its bytes live on the shared server already, under this key
                }
                else
                {
                    copy[count] = key;
                    parents[count++] = _table.Parents[e];
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Writes every block of a group read, up to <paramref name="window"/> in flight, and waits for all of them; what
    /// became of each. A write that fails is counted, not thrown.
    /// </summary>
    private async Task<ShareResult> WriteAsync(TieredKvStore store, ReadOnlyMemory<BlockKey> keys, ReadOnlyMemory<BlockKey> parents, BlockRead[] reads,
        byte[] buffer, int window, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<Task<bool>>(window);
        int copied = 0, already = 0, notResident = 0, unavailable = 0, failed = 0;
        ExceptionDispatchInfo? thrown = null;
        try
        {
            for (int i = 0; i < keys.Length; i++)
            {
                BlockRead read = reads[i];
                if (!read.Found)
                {
                    // Let go meanwhile (not resident), or a local read that failed: corrupt, or a device not reached.
                    _ = read.Miss == BlockMiss.NotResident ? notResident++ : failed++;
                }
                else if (read.Tier == _tier!.Index)
                {
                    already++; // moved into the shared tier meanwhile, or fetched from it: the server holds it
                }
                else if (!CanWriteNow())
                {
                    unavailable++;
                }
                else
                {
                    if (inFlight.Count == window)
                    {
                        _ = await inFlight.Dequeue().ConfigureAwait(false) ? copied++ : failed++;
                    }

                    if (_places is not null)
                    {
                        await _places.EnterAsync(cancellationToken).ConfigureAwait(false); // cancelled: no place taken
                    }

                    // Dispose waits for this write, or this sees the store disposed: a share woken after Dispose hands
                    // its place on and sends nothing.
                    if (!_top.TryEnterReader())
                    {
                        _places?.Exit();
                        store.ThrowIfDisposed();
                    }

                    inFlight.Enqueue(WriteOneAsync(keys.Span[i], parents.Span[i], buffer.AsMemory(i * _blockBytes, read.BytesWritten),
                        cancellationToken));
                }
            }
        }
        catch (Exception ex)
        {
            thrown = ExceptionDispatchInfo.Capture(ex); // cancelled, or the device disposed: no new write is sent
        }

        // Every write ends before the buffer goes back to the pool.
        while (inFlight.Count > 0)
        {
            try
            {
                _ = await inFlight.Dequeue().ConfigureAwait(false) ? copied++ : failed++;
            }
            catch (Exception ex)
            {
                thrown ??= ExceptionDispatchInfo.Capture(ex);
            }
        }

        thrown?.Throw();
        return new ShareResult(copied, already, notResident, unavailable, failed);
    }

    /// <summary>
    /// One copy, with the place taken for it (when the device has a window) and its store reader, both given back as the
    /// write ends; false when the tier refused or failed it (<see cref="IOException"/>).
    /// </summary>
    private async Task<bool> WriteOneAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        try
        {
            await _source!.ShareAsync(key, parent, payload, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            Ended();
        }
    }

    /// <summary>A copy ended (or was never sent): its place goes to the next writer, and its store reader ends.</summary>
    private void Ended()
    {
        _places?.Exit();
        _top.ExitReader();
    }

    /// <summary>Whether the shared tier can take a write now (<see cref="IWriteAvailability"/>; a device that does not say can).</summary>
    private bool CanWriteNow() => _tier!.Device is not IWriteAvailability availability || availability.CanWriteNow;
}
