namespace KvTiering.LLamaSharp;

/// <summary>What <see cref="LlamaPrefixCache.Save(LLama.Native.SafeLLamaContextHandle, LLama.Native.LLamaSeqId, ReadOnlySpan{LLama.Native.LLamaToken}, long)"/> did.</summary>
public enum SaveOutcome
{
    /// <summary>The snapshot was stored.</summary>
    Stored,

    /// <summary>A snapshot with the same key (the same full token blocks) was already stored; nothing was written.</summary>
    AlreadyPresent,

    /// <summary>The sequence holds less than one full token block: there is nothing to key a snapshot by.</summary>
    TooShort,

    /// <summary>The store declined or failed to write a piece; nothing of the snapshot was kept.</summary>
    Rejected,
}
