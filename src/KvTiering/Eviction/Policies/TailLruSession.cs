namespace KvTiering.Eviction;

/// <summary>A conversation's length in <see cref="TailLruPolicy"/>.</summary>
internal struct TailLruSession : ISessionState
{
    public int Blocks { get; set; }

    /// <summary>The conversation's length in blocks: its deepest block so far, plus one.</summary>
    public int Length { get; set; }

    public readonly bool Keep(double now) => false;
}
