namespace KvTiering.Simulation.Traces;

/// <summary>
/// A parsed trace in replay order: per request its time, session and token counts, and its block references as
/// dense block ids (0 to <see cref="UniqueBlocks"/> − 1) in one flat array — compact enough for tens of millions of
/// references, and the form the binary cache stores.
/// </summary>
/// <remarks>
/// Block ids are chained prefix ids: equal id means equal prefix block. Request <c>i</c>'s blocks are
/// <c>BlockIds[RequestStart[i] .. RequestStart[i + 1])</c>; each block's parent is the block before it.
/// </remarks>
public sealed class Trace
{
    /// <summary>Creates a trace from its columns, validating their lengths.</summary>
    public Trace(string name, int blockTokens, double[] time, long[] session, int[] inputTokens, int[] outputTokens,
        int[] requestStart, int[] blockIds, int uniqueBlocks)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockTokens);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(inputTokens);
        ArgumentNullException.ThrowIfNull(outputTokens);
        ArgumentNullException.ThrowIfNull(requestStart);
        ArgumentNullException.ThrowIfNull(blockIds);
        int n = time.Length;
        if (session.Length != n || inputTokens.Length != n || outputTokens.Length != n || requestStart.Length != n + 1)
        {
            throw new ArgumentException("Trace columns disagree on the number of requests.", nameof(requestStart));
        }

        if (requestStart[n] != blockIds.Length)
        {
            throw new ArgumentException($"RequestStart ends at {requestStart[n]} but there are {blockIds.Length} references.", nameof(requestStart));
        }

        Name = name;
        BlockTokens = blockTokens;
        Time = time;
        Session = session;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        RequestStart = requestStart;
        BlockIds = blockIds;
        UniqueBlocks = uniqueBlocks;
    }

    /// <summary>A short name for reports (e.g. "mooncake-conversation").</summary>
    public string Name { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockTokens { get; }

    /// <summary>Arrival time of each request, seconds, non-decreasing.</summary>
    public double[] Time { get; }

    /// <summary>Session of each request (0 when the trace has no sessions).</summary>
    public long[] Session { get; }

    /// <summary>Input (prompt) tokens of each request.</summary>
    public int[] InputTokens { get; }

    /// <summary>Output tokens of each request.</summary>
    public int[] OutputTokens { get; }

    /// <summary>Offsets into <see cref="BlockIds"/>; length is requests + 1.</summary>
    public int[] RequestStart { get; }

    /// <summary>Every block reference, requests back to back.</summary>
    public int[] BlockIds { get; }

    /// <summary>Distinct blocks in the trace.</summary>
    public int UniqueBlocks { get; }

    /// <summary>Number of requests.</summary>
    public int RequestCount => Time.Length;

    /// <summary>Number of block references.</summary>
    public long References => BlockIds.Length;

    /// <summary>The block ids of request <paramref name="request"/>.</summary>
    public ReadOnlySpan<int> Blocks(int request) =>
        BlockIds.AsSpan(RequestStart[request], RequestStart[request + 1] - RequestStart[request]);

    /// <summary>
    /// How each request's response ended — a tool call (the agent comes back when the tool returns) or the end of the
    /// turn (it waits on its user) — where the trace records it; null otherwise. A server knows this when it streams
    /// the response, so replay passes it to the policies as session hints (unless <c>--no-hints</c>), at the moment the
    /// response ends (<see cref="ResponseSeconds"/>).
    /// </summary>
    public TurnEnd[]? TurnEnds { get; init; }

    /// <summary>
    /// How long each request's response took, seconds from its arrival to its last token (WEKA's <c>api_time</c>), where
    /// the trace records it (0 for a request that does not); null when no request does. A request's turn end is known
    /// only at <see cref="Time"/> + this, so that is when replay delivers its hint.
    /// </summary>
    public double[]? ResponseSeconds { get; init; }
}
