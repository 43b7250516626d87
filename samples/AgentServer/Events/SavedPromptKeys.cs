using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using LLama.Native;

namespace AgentServer.Events;

/// <summary>
/// What a saved prompt is called on each side: the store keys of its snapshot (the last block's key, and its pieces'
/// keys, <see cref="LlamaPrefixCache.GetSnapshotKeys"/>) and the block hashes a router computes from its tokens
/// (vLLM's <c>sha256_cbor</c> with the fleet's seed).
/// </summary>
internal sealed class SavedPromptKeys(BlockHasher keys, string hashSeed)
{
    private readonly VllmBlockHasher _hashes = new(keys.TokensPerBlock, hashSeed);

    /// <summary>The keys and hashes of <paramref name="prompt"/>, saved in <paramref name="pieces"/> store blocks; false when it fills no block.</summary>
    public bool TryCompute(LLamaToken[] prompt, int pieces, out BlockKey snapshot, out BlockKey[] pieceKeys, out ulong[] hashes)
    {
        ReadOnlySpan<int> tokens = MemoryMarshal.Cast<LLamaToken, int>(prompt);
        int blocks = keys.BlockCount(tokens.Length);
        if (blocks == 0 || pieces <= 0)
        {
            (snapshot, pieceKeys, hashes) = (default, [], []);
            return false;
        }

        var blockKeys = new BlockKey[blocks];
        keys.ComputeKeys(tokens, blockKeys);
        snapshot = blockKeys[^1];
        pieceKeys = new BlockKey[pieces];
        LlamaPrefixCache.GetSnapshotKeys(snapshot, pieceKeys);
        var vllm = new VllmBlockHash[blocks];
        int n = _hashes.ComputeHashes(tokens, vllm);
        hashes = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            hashes[i] = vllm[i].EventHash;
        }

        return true;
    }
}
