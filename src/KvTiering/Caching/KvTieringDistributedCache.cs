using System.Buffers;
using KvTiering.Blocks;
using KvTiering.Store;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvTiering.Caching;

/// <summary>
/// A distributed cache over a <see cref="TieredKvStore"/>, for agent state of any size under string keys — and so an
/// L2 for HybridCache. A value is kept as a manifest block (expiry, length, hash, the key itself; small values
/// inline) plus, when it does not fit, a chain of data blocks, all under keys derived from the string key, so the
/// entries tier, demote to flash and survive restarts like any KV block.
/// </summary>
/// <remarks>
/// A read returns exactly the bytes of one write or misses: each write's chunks are keyed by a fresh random nonce
/// that only its manifest names, every chunk's length and the whole value's XxHash3 are checked, and nothing reaches
/// the caller's buffer writer before the check passes. A chunk evicted from under an entry makes the entry a miss
/// (and it is cleaned up). Writes, removals and sliding refreshes of one key are serialized by a striped lock; reads
/// copy chunks outside it. Absolute and sliding expiration follow <see cref="DistributedCacheEntryOptions"/> on the
/// <see cref="KvTieringDistributedCacheOptions.TimeProvider"/> clock; an expired entry is removed when next touched
/// and otherwise ages out under the store's eviction policy. The async methods complete synchronously: the store
/// works in memory and its flash reads are synchronous.
/// </remarks>
public sealed class KvTieringDistributedCache : IBufferDistributedCache
{
    private readonly CacheEntries _entries;
    private readonly CacheReader _reader;
    private readonly CacheWriter _writer;

    /// <summary>Creates a cache over <paramref name="store"/>, which it uses but does not own or dispose.</summary>
    /// <exception cref="ArgumentException">The store keeps no payloads, or its blocks are too small for a manifest.</exception>
    public KvTieringDistributedCache(TieredKvStore store, KvTieringDistributedCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new KvTieringDistributedCacheOptions();
        ArgumentNullException.ThrowIfNull(options.InstanceName, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
        if (store.MetadataOnly)
        {
            throw new ArgumentException("A distributed cache needs a store that keeps payloads; this one is metadata-only.", nameof(store));
        }

        if (store.BlockBytes < MinBlockBytes)
        {
            throw new ArgumentException(
                $"The store's blocks of {store.BlockBytes} bytes are too small for a distributed cache; it needs at least {MinBlockBytes}.",
                nameof(store));
        }

        _entries = new CacheEntries(store, options.TimeProvider, options.Logger ?? NullLogger.Instance, options.InstanceName);
        _reader = new CacheReader(_entries);
        _writer = new CacheWriter(_entries);
    }

    /// <summary>The smallest block size the cache works with: a manifest header and a 192-byte key.</summary>
    public const int MinBlockBytes = CacheManifest.HeaderBytes + 192;

    /// <summary>The store the entries live in.</summary>
    public TieredKvStore Store => _entries.Store;

    /// <summary>The longest key, in UTF-8 bytes, that fits a manifest block of this store.</summary>
    public int MaxKeyBytes => _entries.MaxKeyBytes;

    /// <inheritdoc />
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _reader.Read(key, null, out byte[]? value) ? value : null;
    }

    /// <inheritdoc />
    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        return _reader.Read(key, destination, out _);
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        Set(key, new ReadOnlySequence<byte>(value), options);
    }

    /// <inheritdoc />
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        _writer.Write(key, value, options);
    }

    /// <inheritdoc />
    public void Refresh(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _reader.Touch(key);
    }

    /// <inheritdoc />
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _writer.Delete(key);
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        token.IsCancellationRequested ? Task.FromCanceled<byte[]?>(token) : Task.FromResult(Get(key));

    /// <inheritdoc />
    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
        token.IsCancellationRequested ? ValueTask.FromCanceled<bool>(token) : ValueTask.FromResult(TryGet(key, destination));

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (token.IsCancellationRequested)
        {
            return Task.FromCanceled(token);
        }

        Set(key, value, options);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options,
        CancellationToken token = default)
    {
        if (token.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(token);
        }

        Set(key, value, options);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        if (token.IsCancellationRequested)
        {
            return Task.FromCanceled(token);
        }

        Refresh(key);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        if (token.IsCancellationRequested)
        {
            return Task.FromCanceled(token);
        }

        Remove(key);
        return Task.CompletedTask;
    }
}
