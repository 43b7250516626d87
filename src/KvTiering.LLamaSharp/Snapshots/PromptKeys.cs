using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvTiering.Blocks;
using LLama.Native;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// A prompt's block keys (the chained keys of its full token blocks, docs/key-spec.md) in a buffer reused from call to
/// call, so a restore or a save allocates none once they have grown. Not thread-safe: <see cref="LlamaPrefixCache"/> uses it under its lock.
/// </summary>
internal sealed class PromptKeys(BlockHasher hasher)
{
    private BlockKey[] _keys = [];
    private int[] _ints = [];

    /// <summary>The block keys of <paramref name="tokens"/>' full blocks, valid until the next call.</summary>
    public ReadOnlyMemory<BlockKey> Compute(ReadOnlySpan<LLamaToken> tokens)
    {
        int count = tokens.Length / hasher.TokensPerBlock;
        if (_keys.Length < count)
        {
            _keys = new BlockKey[Math.Max(count, _keys.Length * 2)];
        }

        int written = hasher.ComputeKeys(AsInts(tokens), _keys);
        return _keys.AsMemory(0, written);
    }

    /// <summary>
    /// The token ids as ints in a buffer of its own, valid until the next call: for a caller that awaits while it
    /// compares them, where a span cannot be held.
    /// </summary>
    public ReadOnlyMemory<int> Ints(ReadOnlySpan<LLamaToken> tokens)
    {
        if (_ints.Length < tokens.Length)
        {
            _ints = new int[Math.Max(tokens.Length, _ints.Length * 2)];
        }

        AsInts(tokens).CopyTo(_ints);
        return _ints.AsMemory(0, tokens.Length);
    }

    /// <summary>The token ids as ints, without a copy.</summary>
    public static ReadOnlySpan<int> AsInts(ReadOnlySpan<LLamaToken> tokens)
    {
        // LLamaToken wraps one int (llama_token); the hasher reads the ids without a copy.
        Debug.Assert(Unsafe.SizeOf<LLamaToken>() == sizeof(int));
        return MemoryMarshal.Cast<LLamaToken, int>(tokens);
    }
}
