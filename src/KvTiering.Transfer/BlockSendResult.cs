namespace KvTiering.Transfer;

/// <summary>What one sent block stream delivered, with the receiver's receipt when one came back.</summary>
public sealed record BlockSendResult
{
    /// <summary>The session id named in the handshake.</summary>
    public long SessionId { get; init; }

    /// <summary>Block frames written to the connection.</summary>
    public long BlocksSent { get; init; }

    /// <summary>Requested keys the source store did not hold (skipped, not sent).</summary>
    public long BlocksMissing { get; init; }

    /// <summary>Payload bytes of the frames written.</summary>
    public long PayloadBytes { get; init; }

    /// <summary>Whether every frame went out and the receiver's receipt says it took the whole stream.</summary>
    public bool Completed { get; init; }

    /// <summary>
    /// Why the stream stopped short: the receiver's fault when it refused the handshake or stopped the stream,
    /// otherwise what the sender saw (<see cref="TransferFault.None"/> when it completed).
    /// </summary>
    public TransferFault Fault { get; init; }

    /// <summary>A sentence saying what went wrong (null when it completed).</summary>
    public string? Reason { get; init; }

    /// <summary>The receiver's receipt; null when none arrived (refused handshake, lost connection, timeout).</summary>
    public TransferReceipt? Receipt { get; init; }
}
