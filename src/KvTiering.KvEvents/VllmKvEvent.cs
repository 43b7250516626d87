using KvTiering.Events;

namespace KvTiering.KvEvents;

/// <summary>
/// One event of vLLM's KV-event protocol (<c>BlockStored</c>, <c>BlockRemoved</c> or <c>AllBlocksCleared</c> in
/// vllm/distributed/kv_events.py), with block hashes in their 64-bit form.
/// </summary>
/// <param name="Kind">The event's tag.</param>
/// <param name="BlockHashes">The blocks, in chain order for <c>BlockStored</c>.</param>
/// <param name="ParentBlockHash">The parent of the first block, or null for a chain that starts at the root.</param>
/// <param name="TokenIds">Token ids of the stored blocks, empty where the publisher does not know them.</param>
/// <param name="BlockSize">Tokens per block.</param>
/// <param name="LoraId">The deprecated LoRA id field, kept for old consumers.</param>
/// <param name="Medium">Where the blocks are (<c>"GPU"</c>, <c>"CPU"</c>, ...); null means the device tier.</param>
/// <param name="LoraName">The LoRA adapter name, or null.</param>
/// <param name="ExtraKeys">Per block, the extra hash keys (LoRA name, cache salt) as strings, or null.</param>
public sealed record VllmKvEvent(
    KvEventKind Kind,
    ulong[] BlockHashes,
    ulong? ParentBlockHash = null,
    int[]? TokenIds = null,
    int BlockSize = 0,
    long? LoraId = null,
    string? Medium = null,
    string? LoraName = null,
    string?[][]? ExtraKeys = null)
{
    /// <summary>An <c>AllBlocksCleared</c> event.</summary>
    public static VllmKvEvent Cleared { get; } = new(KvEventKind.AllCleared, []);
}
