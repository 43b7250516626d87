namespace KvTiering.LLamaSharp;

/// <summary>What <see cref="LlamaPrefixCache.RestoreAsync(LLama.Native.SafeLLamaContextHandle, LLama.Native.LLamaSeqId, ReadOnlyMemory{LLama.Native.LLamaToken}, CancellationToken)"/> did.</summary>
public enum RestoreOutcome
{
    /// <summary>No stored snapshot is a prefix of the prompt: prefill everything.</summary>
    Miss,

    /// <summary>A snapshot was loaded into the sequence; only the tokens after it need a prefill.</summary>
    Restored,

    /// <summary>Snapshots matched but none verified, and at least one had a piece whose bytes were corrupt: prefill everything.</summary>
    Corrupt,

    /// <summary>
    /// llama.cpp refused a verified snapshot (its state did not fit this context) or could not trim it to the prompt:
    /// prefill everything.
    /// </summary>
    Rejected,
}
