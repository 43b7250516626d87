using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Store;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp;

/// <summary>
/// Keeps llama.cpp sequence state in a <see cref="TieredKvStore"/>. After a turn, <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>
/// stores the sequence's state as a prefix snapshot keyed by the chained block keys of the tokens it covers; before
/// the next prompt, <see cref="Restore(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken})"/> loads the
/// longest snapshot that is a prefix of it, trims it to the prompt, and says how many tokens still need a prefill.
/// </summary>
/// <remarks>
/// <para>A snapshot is ordinary store blocks: a manifest (chunk 0) and the payload — the covered token ids, then the
/// bytes of <c>llama_state_seq_get_data</c> — cut into block-sized chunks under keys derived from the last covered
/// block's key, so they tier (DRAM → flash), survive a restart on a flash directory and are evicted by the store's
/// policies like any block. The manifest holds an XxHash3 of the whole payload; a snapshot with a missing or corrupt
/// piece is never handed to llama.cpp: it counts as corrupt, is removed, and the prompt falls back to prefill. A state
/// llama.cpp refuses (<c>SetState</c> returns 0) is a miss too, never an exception.</para>
/// <para>The block keys are those of the KvTiering key spec (docs/key-spec.md), the chaining vLLM's prefix cache uses,
/// so two prompts share a snapshot exactly when they share its token blocks. Thread-safe: calls are serialized (the
/// state buffer is shared); a llama.cpp context itself must not be used concurrently.</para>
/// </remarks>
public sealed partial class LlamaPrefixCache
{
    private readonly TieredKvStore _store;
    private readonly BlockHasher _hasher;
    private readonly int _blockTokens;
    private readonly int _chunkBytes;
    private readonly int _minPrefill;
    private readonly int _waypointInterval;
    private readonly bool _removeSuperseded;
    private readonly Lock _gate = new();
    private byte[] _payload = [];
    private BlockKey[] _keys = [];
    private long _lookups;
    private long _hits;
    private long _corrupt;
    private long _rejected;
    private long _tokensRestored;
    private long _tokensToPrefill;
    private long _saves;
    private long _stateBytesSaved;
    private long _supersededRemoved;

    /// <summary>Creates a cache over <paramref name="store"/>, keying snapshots with <paramref name="hasher"/>.</summary>
    /// <param name="store">A store that keeps payloads; its block size is the chunk size.</param>
    /// <param name="hasher">The hasher whose namespace identifies the model (see <see cref="LlamaKvLayout"/>).</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <exception cref="ArgumentException">The store is metadata-only or its blocks are too small for a manifest.</exception>
    public LlamaPrefixCache(TieredKvStore store, BlockHasher hasher, LlamaPrefixCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(hasher);
        if (store.MetadataOnly || store.BlockBytes < Snapshots.SnapshotManifest.Size)
        {
            ThrowHelper.ThrowArgument(nameof(store),
                $"The store keeps {store.BlockBytes}-byte blocks; snapshots need a payload store with blocks of at least {Snapshots.SnapshotManifest.Size} bytes.");
        }

        options ??= new LlamaPrefixCacheOptions();
        _store = store;
        _hasher = hasher;
        _blockTokens = hasher.TokensPerBlock;
        _chunkBytes = store.BlockBytes;
        _minPrefill = options.MinPrefillTokens;
        _waypointInterval = options.WaypointInterval;
        _removeSuperseded = options.RemoveSupersededSnapshots;
    }

    /// <summary>The store snapshots live in.</summary>
    public TieredKvStore Store => _store;

    /// <summary>Tokens per block: snapshots are found and trimmed at multiples of it.</summary>
    public int TokensPerBlock => _blockTokens;

    /// <summary>Restores into <paramref name="context"/>'s sequence; see <see cref="Restore(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken})"/>.</summary>
    public PrefixRestore Restore(LLamaContext context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> prompt)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Restore(context.NativeHandle, sequence, prompt);
    }

    /// <summary>Saves <paramref name="context"/>'s sequence; see <see cref="Save(SafeLLamaContextHandle, LLamaSeqId, ReadOnlySpan{LLamaToken}, long)"/>.</summary>
    public SnapshotSave Save(LLamaContext context, LLamaSeqId sequence, ReadOnlySpan<LLamaToken> tokens, long session = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Save(context.NativeHandle, sequence, tokens, session);
    }

    /// <summary>A snapshot of the counters.</summary>
    public LlamaPrefixCacheStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new LlamaPrefixCacheStatistics
            {
                Lookups = _lookups,
                Hits = _hits,
                Misses = _lookups - _hits,
                CorruptSnapshots = _corrupt,
                RejectedStates = _rejected,
                TokensRestored = _tokensRestored,
                TokensToPrefill = _tokensToPrefill,
                Saves = _saves,
                StateBytesSaved = _stateBytesSaved,
                SupersededRemoved = _supersededRemoved,
            };
        }
    }

    /// <summary>The block keys of <paramref name="tokens"/>' full blocks, in a reused buffer.</summary>
    private ReadOnlySpan<BlockKey> ComputeKeys(ReadOnlySpan<LLamaToken> tokens)
    {
        int count = tokens.Length / _blockTokens;
        if (_keys.Length < count)
        {
            _keys = new BlockKey[Math.Max(count, _keys.Length * 2)];
        }

        int written = _hasher.ComputeKeys(AsInts(tokens), _keys);
        return _keys.AsSpan(0, written);
    }

    /// <summary>The payload buffer, grown to hold <paramref name="length"/> bytes rounded up to whole chunks.</summary>
    private byte[] Payload(long length)
    {
        long needed = (length + _chunkBytes - 1) / _chunkBytes * _chunkBytes;
        if (_payload.Length < needed)
        {
            _payload = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(needed, _payload.Length * 3L / 2)));
        }

        return _payload;
    }

    private static ReadOnlySpan<int> AsInts(ReadOnlySpan<LLamaToken> tokens)
    {
        // LLamaToken wraps one int (llama_token); the hasher reads the ids without a copy.
        Debug.Assert(Unsafe.SizeOf<LLamaToken>() == sizeof(int));
        return MemoryMarshal.Cast<LLamaToken, int>(tokens);
    }
}
