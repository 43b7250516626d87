using System.Runtime.CompilerServices;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// The path a lookup falls through when the reference-bit hit (<see cref="TopTierReader.TryBit"/>) does not answer it:
/// the optimistic top-tier read (<see cref="OptimisticRead"/>), one retry if a writer interrupted it, then the locked reader
/// (<see cref="LockedReader"/>), or, for an asynchronous lookup, the reader that awaits a device outside the lock
/// (<see cref="AsyncReader"/>).
/// </summary>
internal sealed class ReadCascade
{
    private readonly OptimisticRead _optimistic;
    private readonly LockedReader _locked;
    private readonly AsyncReader? _async; // payload stores: lower-tier reads awaited when the device can be
    private readonly DamagedAtOpen _damaged;

    public ReadCascade(OptimisticRead optimistic, LockedReader locked, AsyncReader? asyncReader, DamagedAtOpen damaged)
    {
        _damaged = damaged;
        _optimistic = optimistic;
        _locked = locked;
        _async = asyncReader;
    }

    /// <summary>A synchronous lookup: lock-free where it can be.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryGet(TieredKvStore store, in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier)
    {
        int outcome = _optimistic.TryGet(key, destination, out bytesWritten);
        return outcome >= 0
            ? IsHit(outcome, out servedFromTier)
            : TryGetSlow(store, key, destination, outcome, out bytesWritten, out servedFromTier, out _);
    }

    /// <summary>
    /// A synchronous lookup that also says why a miss missed: the lock-free path as <see cref="TryGet(TieredKvStore, in BlockKey, Span{byte}, out int, out int)"/>
    /// takes it (a lock-free miss is final only when the store holds no such block), then the locked path, which asks
    /// the device why its read failed. A separate entry, so the plain lookup's hit path carries no cause.
    /// </summary>
    public bool TryGet(TieredKvStore store, in BlockKey key, Span<byte> destination, out int bytesWritten, out int servedFromTier,
        out BlockMiss miss)
    {
        store.ThrowIfDisposed();
        int outcome = _optimistic.TryGet(key, destination, out bytesWritten);
        return outcome >= 0
            ? IsHit(outcome, key, out servedFromTier, out miss)
            : TryGetSlow(store, key, destination, outcome, out bytesWritten, out servedFromTier, out miss);
    }

    /// <summary>
    /// An asynchronous lookup: a cancelled call ends before anything starts; a top-tier answer completes synchronously;
    /// a block in a tier whose device declares <see cref="Devices.IAsyncBlockDevice"/> is read by awaiting the device
    /// outside the lock.
    /// </summary>
    public ValueTask<BlockRead> TryGetAsync(TieredKvStore store, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<BlockRead>(cancellationToken);
        }

        store.ThrowIfDisposed();
        int outcome = _optimistic.TryGet(key, destination.Span, out int written);
        if (outcome == TopTierReader.Interrupted)
        {
            outcome = _optimistic.Retry(key, destination.Span, out written);
        }

        if (outcome >= 0)
        {
            bool hit = IsHit(outcome, key, out int tier, out BlockMiss cause);
            return ValueTask.FromResult(new BlockRead(hit, written, tier) { Miss = cause });
        }

        if (_async is { } reader)
        {
            return reader.TryGetAsync(store, key, destination, cancellationToken);
        }

        bool found = _locked.TryGet(store, key, destination.Span, out written, out int servedFrom, out BlockMiss miss);
        return ValueTask.FromResult(new BlockRead(found, written, servedFrom) { Miss = miss });
    }

    /// <summary><see cref="TryGetAsync"/> as the bytes written, or -1 on a miss.</summary>
    public async ValueTask<int> GetAsync(TieredKvStore store, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken)
    {
        BlockRead read = await TryGetAsync(store, key, destination, cancellationToken).ConfigureAwait(false);
        return read.Found ? read.BytesWritten : -1;
    }

    /// <summary>A final lock-free answer (hit or miss) as <see cref="TieredKvStore.TryGet(in BlockKey, Span{byte}, out int, out int)"/> reports it.</summary>
    private static bool IsHit(int outcome, out int servedFromTier)
    {
        servedFromTier = outcome == TopTierReader.Hit ? 0 : -1;
        return outcome == TopTierReader.Hit;
    }

    /// <summary>
    /// A final lock-free answer, with its cause: a lock-free miss is final only when the store holds no such block, which
    /// is corrupt when a persistent tier dropped it damaged at open (<see cref="DamagedAtOpen"/>).
    /// </summary>
    private bool IsHit(int outcome, in BlockKey key, out int servedFromTier, out BlockMiss miss)
    {
        bool hit = IsHit(outcome, out servedFromTier);
        miss = hit ? BlockMiss.None : _damaged.MissOf(key);
        return hit;
    }

    /// <summary>A lock-free try that a writer interrupted (tried again) or that needs the lock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetSlow(TieredKvStore store, in BlockKey key, Span<byte> destination, int outcome, out int bytesWritten,
        out int servedFromTier, out BlockMiss miss)
    {
        bytesWritten = 0;
        if (outcome == TopTierReader.Interrupted)
        {
            outcome = _optimistic.Retry(key, destination, out bytesWritten);
            if (outcome >= 0)
            {
                return IsHit(outcome, key, out servedFromTier, out miss);
            }
        }

        LookupTrace.AddLockedRead();
        return _locked.TryGet(store, key, destination, out bytesWritten, out servedFromTier, out miss);
    }
}
