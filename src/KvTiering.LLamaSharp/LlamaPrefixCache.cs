using System.Diagnostics.CodeAnalysis;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.LLamaSharp.Snapshots;
using KvTiering.Store;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp;

/// <summary>
/// Keeps llama.cpp sequence state in a <see cref="TieredKvStore"/>. After a turn, <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>
/// stores the sequence's state as a prefix snapshot keyed by the chained block keys of the tokens it covers; before
/// the next prompt, <see cref="RestoreAsync(SafeLLamaContextHandle, LLamaSeqId, ReadOnlyMemory{LLamaToken}, CancellationToken)"/> loads the
/// longest snapshot that is a prefix of it, trims it to the prompt, and says how many tokens still need a prefill.
/// </summary>
/// <remarks>
/// <para>A snapshot is ordinary store blocks: a manifest (chunk 0) and the payload — the covered token ids, then the
/// bytes of <c>llama_state_seq_get_data</c> — cut into block-sized chunks under keys derived from the last covered
/// block's key, so they tier (DRAM → flash), survive a restart on a flash directory and are evicted by the store's
/// policies like any block. The manifest holds an XxHash3 of the whole payload; a snapshot with a missing or corrupt
/// piece is never handed to llama.cpp: it is removed, and the prompt falls back to prefill; it counts as corrupt when a
/// piece's read found bad bytes, not when a piece was merely gone (docs/llamasharp.md, "Corrupt or missing"). A state
/// llama.cpp refuses (<c>SetState</c> returns 0) is a miss too, never an exception.</para>
/// <para>The block keys are those of the KvTiering key spec (docs/key-spec.md), the chaining vLLM's prefix cache uses,
/// so two prompts share a snapshot exactly when they share its token blocks. Thread-safe: calls are serialized (the
/// state buffer is shared); a llama.cpp context itself must not be used concurrently.</para>
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification = "The gate is a SemaphoreSlim whose AvailableWaitHandle is never read: it holds no handle to dispose.")]
public sealed class LlamaPrefixCache
{
    private readonly TieredKvStore _store;
    private readonly BlockHasher _hasher;
    private readonly int _blockTokens;
    private readonly int _minPrefill;
    private readonly SnapshotStore _snapshots;
    private readonly SnapshotWriter _writer;
    private readonly SnapshotRestorer _restorer;
    private readonly SemaphoreSlim _gate = new(1, 1); // a restore awaits its reads while holding it
    private readonly PromptKeys _promptKeys;
    private readonly LlamaPrefixCacheCounters _counters = new();
    private readonly SnapshotShares? _shares;

    /// <summary>Creates a cache over <paramref name="store"/>, keying snapshots with <paramref name="hasher"/>.</summary>
    /// <param name="store">A store that keeps payloads; its block size is the chunk size.</param>
    /// <param name="hasher">The hasher whose namespace identifies the model (see <see cref="LlamaKvLayout"/>).</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <exception cref="ArgumentException">The store is metadata-only or its blocks are too small for a manifest, or
    /// <see cref="LlamaPrefixCacheOptions.ShareSnapshots"/> is true and the store has no shared tier that takes copies.</exception>
    public LlamaPrefixCache(TieredKvStore store, BlockHasher hasher, LlamaPrefixCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(hasher);
        if (store.MetadataOnly || store.BlockBytes < SnapshotManifest.Size)
        {
            ThrowHelper.ThrowArgument(nameof(store),
                $"The store keeps {store.BlockBytes}-byte blocks; snapshots need a payload store with blocks of at least {SnapshotManifest.Size} bytes.");
        }

        options ??= new LlamaPrefixCacheOptions();
        if (options.ShareSnapshots == true && !store.CanShare)
        {
            ThrowHelper.ThrowArgument(nameof(options),
                "ShareSnapshots is true, but the store has no shared tier that takes copies (TieredKvStore.CanShare is false).");
        }

        _shares = (options.ShareSnapshots ?? store.CanShare) ? new SnapshotShares(store) : null;
        _store = store;
        _hasher = hasher;
        _blockTokens = hasher.TokensPerBlock;
        _minPrefill = options.MinPrefillTokens;
        _snapshots = new SnapshotStore(store, options.WaypointInterval);
        _promptKeys = new PromptKeys(hasher);
        _writer = new SnapshotWriter(store, _snapshots, _promptKeys, _blockTokens, options.RemoveSupersededSnapshots, _shares);
        _restorer = new SnapshotRestorer(store, _snapshots, _writer, _promptKeys, _counters, _blockTokens, options);
    }

    /// <summary>The store snapshots live in.</summary>
    public TieredKvStore Store => _store;

    /// <summary>Tokens per block: snapshots are found and trimmed at multiples of it.</summary>
    public int TokensPerBlock => _blockTokens;

    /// <summary>
    /// Loads the longest stored snapshot that is a prefix of <paramref name="prompt"/> into <paramref name="sequence"/>,
    /// trimmed to the last token block the prompt shares with it (and to leave
    /// <see cref="LlamaPrefixCacheOptions.MinPrefillTokens"/> to prefill). The sequence is cleared first, so afterwards it
    /// holds exactly the prompt's first <see cref="PrefixRestore.RestoredTokens"/> tokens — none on a miss. Never
    /// throws for a missing, corrupt or refused snapshot: the result says to prefill.
    /// </summary>
    /// <remarks>
    /// The snapshot's chunks are read as one batch from whichever tiers hold them (a remote tier's reads in flight
    /// together), and the call awaits them without holding a thread. Calls are serialized with each other and with
    /// <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>.
    /// </remarks>
    /// <param name="context">The llama.cpp context; not used concurrently by anyone else during the call.</param>
    /// <param name="sequence">The sequence to fill.</param>
    /// <param name="prompt">The whole prompt, from position 0; not changed during the call.</param>
    /// <param name="cancellationToken">Stops the restore (for instance when the client leaves): the reads in flight end,
    /// the call throws <see cref="OperationCanceledException"/> with the sequence empty, and the snapshot stays stored.</param>
    public async Task<PrefixRestore> RestoreAsync(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlyMemory<LLamaToken> prompt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        PrefixRestore result;
        LLamaToken[]? shared;
        SnapshotSave sharedSave;
        try
        {
            context.MemorySequenceRemove(sequence, -1, -1);
            result = await _restorer.RestoreAsync(context, sequence, prompt, cancellationToken).ConfigureAwait(false);
            _counters.Lookup();
            _counters.Restored(result);
            _restorer.TakeSharedPrefix(out shared, out sharedSave);
        }
        finally
        {
            _gate.Release();
        }

        if (shared is not null)
        {
            SharedPrefixSaved?.Invoke(shared, sharedSave); // outside the gate: a subscriber cannot hold up the next call
        }

        return result;
    }

    /// <summary>
    /// Raised after a restore stored the prefix its prompt shares with a longer snapshot as a snapshot of its own
    /// (<see cref="LlamaPrefixCacheOptions.SaveSharedPrefixes"/>), with the tokens it covers (a copy the subscriber may
    /// keep) and the save, as <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>
    /// returns a turn's save to its caller: an owner that announces what it can restore (KV events to a router) then
    /// announces this one too. Raised on the restoring thread once the restore's call holds nothing, before it returns;
    /// not for a save that stored nothing.
    /// </summary>
    public event Action<LLamaToken[], SnapshotSave>? SharedPrefixSaved;

    /// <summary>
    /// Stores <paramref name="sequence"/>'s state as a prefix snapshot of <paramref name="tokens"/>, keyed by the block
    /// key of their last full block. The sequence must hold exactly these tokens at positions 0 to
    /// <c>tokens.Length − 1</c> (trim generated tokens off first if they should not be covered). Writes the waypoints,
    /// the chunks, then the manifest; a piece the store declines undoes the whole snapshot.
    /// </summary>
    /// <param name="context">The llama.cpp context; not used concurrently by anyone else during the call.</param>
    /// <param name="sequence">The sequence to save.</param>
    /// <param name="tokens">The tokens the sequence holds, from position 0.</param>
    /// <param name="session">The session the blocks belong to, for session-aware eviction policies (0 when unknown).</param>
    /// <exception cref="ArgumentException">The sequence does not hold exactly <paramref name="tokens"/>' positions.</exception>
    public SnapshotSave Save(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens, long session = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        int first = context.MemorySequenceMinPosition(sequence).Value;
        int last = context.MemorySequenceMaxPosition(sequence).Value;
        bool empty = last < 0;
        if (empty ? !tokens.IsEmpty : (first != 0 || last != tokens.Length - 1))
        {
            ThrowHelper.ThrowArgument(nameof(tokens),
                $"Sequence {sequence.Value} holds positions {first} to {last}, but {tokens.Length} tokens were given: a snapshot covers exactly the tokens its sequence holds, from position 0.");
        }

        _gate.Wait();
        try
        {
            SnapshotSave result = _writer.Save(context, sequence, tokens, new BlockContext(-1, session), sharedPrefix: false,
                out int superseded);
            _counters.Saved(result);
            _counters.SupersededRemoved += superseded;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Brings the snapshot that <see cref="RestoreAsync(SafeLLamaContextHandle, LLamaSeqId, ReadOnlyMemory{LLamaToken}, CancellationToken)"/>
    /// would load for <paramref name="prompt"/> up to the store's top tier (its manifest and every chunk), so that the
    /// restore, when the request gets a sequence, reads DRAM instead of flash. A server calls it while the request waits
    /// for a free sequence.
    /// </summary>
    /// <remarks>
    /// Takes the deepest snapshot whose manifest is stored under one of the prompt's block keys; a snapshot reached only
    /// through a waypoint is left to the restore. Does not take the cache's lock, so restores and saves of other
    /// requests proceed meanwhile; the store's <see cref="Store.TieredKvStore.PrefetchAsync"/> moves the blocks.
    /// </remarks>
    /// <param name="prompt">The queued request's whole prompt.</param>
    /// <param name="cancellationToken">Stops the prefetch between blocks (for instance when the request is scheduled).</param>
    /// <returns>How many blocks moved up (0 when there is no snapshot or it is already on the top tier).</returns>
    public async Task<int> PrefetchAsync(ReadOnlyMemory<LLamaToken> prompt, CancellationToken cancellationToken = default)
    {
        int count = (prompt.Length - _minPrefill) / _blockTokens;
        if (count <= 0)
        {
            return 0;
        }

        // Its own buffers: the shared ones belong to whoever holds the cache's lock.
        var keys = new BlockKey[prompt.Length / _blockTokens];
        int written = _hasher.ComputeKeys(PromptKeys.AsInts(prompt.Span), keys);
        for (int i = Math.Min(count, written) - 1; i >= 0; i--)
        {
            if (_snapshots.Contains(keys[i]))
            {
                return await _snapshots.PrefetchAsync(keys[i], cancellationToken).ConfigureAwait(false);
            }
        }

        return 0;
    }

    /// <summary>Restores into <paramref name="context"/>'s sequence; see <see cref="RestoreAsync(SafeLLamaContextHandle, LLamaSeqId, ReadOnlyMemory{LLamaToken}, CancellationToken)"/>.</summary>
    public Task<PrefixRestore> RestoreAsync(LLamaContext context, LLamaSeqId sequence, ReadOnlyMemory<LLamaToken> prompt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RestoreAsync(context.NativeHandle, sequence, prompt, cancellationToken);
    }

    /// <summary>Saves <paramref name="context"/>'s sequence; see <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>.</summary>
    public SnapshotSave Save(LLamaContext context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens, long session = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Save(context.NativeHandle, sequence, tokens, session);
    }

    /// <summary>
    /// The store keys a snapshot keyed by <paramref name="snapshot"/> (the block key of the last token block it covers)
    /// occupies: its manifest first, then its data chunks in order — <see cref="SnapshotSave.Chunks"/> keys in all. A
    /// caller follows them in the store's events (<see cref="TieredKvStore.Events"/>) to know which prompts the store
    /// can still restore, and from which tier; the agent server publishes that to KV-aware routers.
    /// </summary>
    /// <param name="snapshot">The snapshot's key.</param>
    /// <param name="destination">Receives the manifest key, then one key per chunk, as many as it has room for.</param>
    public static void GetSnapshotKeys(in BlockKey snapshot, Span<BlockKey> destination)
    {
        for (int c = 0; c < destination.Length; c++)
        {
            destination[c] = SnapshotKeys.Chunk(snapshot, c); // chunk 0 is the manifest
        }
    }

    /// <summary>
    /// The prompt of the snapshot whose manifest is stored under <paramref name="storeKey"/> (the first of
    /// <see cref="GetSnapshotKeys"/>' keys): its token ids, and the store keys it occupies. For a caller that finds
    /// snapshots in the store instead of saving them — a server after a restart, whose flash tier still holds the last
    /// run's — and must name their blocks. Reads the manifest and the chunks holding the token ids (not the state)
    /// through the store's ordinary reads, so a lower tier's copies may be promoted; does not take the cache's lock.
    /// </summary>
    /// <returns>False for a block that is no manifest of this model and engine build, or a token chunk missing.</returns>
    public bool TryReadSnapshotPrompt(in BlockKey storeKey, [NotNullWhen(true)] out LLamaToken[]? prompt, out int pieces)
    {
        bool found = SnapshotPrompts.TryRead(_store, _hasher, storeKey, out LLamaToken[] tokens, out pieces);
        prompt = found ? tokens : null;
        return found;
    }

    /// <summary>
    /// Waits for the copies of saved snapshots to the shared tier still in flight
    /// (<see cref="LlamaPrefixCacheOptions.ShareSnapshots"/>), so an owner can let them end before it disposes the store;
    /// once <paramref name="cancellationToken"/> fires, cancels them (no new write is sent, a cancelled snapshot's
    /// manifest is not shared) and waits for them to end. Completes at once when sharing is off or none is in flight.
    /// </summary>
    /// <param name="cancellationToken">Cancels the shares in flight instead of waiting for them to finish.</param>
    public Task FlushSharesAsync(CancellationToken cancellationToken = default) =>
        _shares?.DrainAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>A snapshot of the counters.</summary>
    public LlamaPrefixCacheStatistics GetStatistics()
    {
        _gate.Wait();
        try
        {
            return _counters.ToStatistics() with { SharesComplete = _shares?.Complete ?? 0, SharesIncomplete = _shares?.Incomplete ?? 0 };
        }
        finally
        {
            _gate.Release();
        }
    }
}
