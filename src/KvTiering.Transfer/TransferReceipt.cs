namespace KvTiering.Transfer;

/// <summary>The receiver's account of a stream, as it sent it back to the sender.</summary>
public sealed record TransferReceipt
{
    /// <summary>Block frames that began to arrive at the receiver.</summary>
    public long BlocksReceived { get; init; }

    /// <summary>Blocks resident in the receiving store after their put.</summary>
    public long BlocksStored { get; init; }

    /// <summary>Block frames the receiver refused (cut short, invalid, or failing their checksum).</summary>
    public long BlocksRejected { get; init; }

    /// <summary>Whether the receiver saw the whole stream.</summary>
    public bool Completed { get; init; }

    /// <summary>The receiver's fault (<see cref="TransferFault.None"/> when it completed).</summary>
    public TransferFault Fault { get; init; }

    /// <summary>The receiver's reason, when it gave one.</summary>
    public string? Reason { get; init; }
}
