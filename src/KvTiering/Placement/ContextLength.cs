namespace KvTiering.Placement;

/// <summary>Whether a request's context is long or short (the threshold is the labeller's, e.g. 8,192 tokens).</summary>
public enum ContextLength : byte
{
    /// <summary>Not labelled.</summary>
    Unspecified,

    /// <summary>A short context.</summary>
    ShortContext,

    /// <summary>A long context.</summary>
    LongContext,
}
