namespace KvTiering.Transfer;

/// <summary>
/// What one received block stream delivered. Every block counted in <see cref="BlocksVerified"/> arrived whole and
/// matched its checksum; nothing else ever reached the store.
/// </summary>
public sealed record BlockReceiveResult
{
    /// <summary>The session id the sender named in its handshake (0 when none, or when the handshake failed).</summary>
    public long SessionId { get; init; }

    /// <summary>Block frames that began to arrive: verified ones plus those rejected (a cut frame counts here).</summary>
    public long BlocksReceived { get; init; }

    /// <summary>Block frames that arrived whole and matched their checksum.</summary>
    public long BlocksVerified { get; init; }

    /// <summary>Verified blocks resident in the store after their put (newly stored or already present).</summary>
    public long BlocksStored { get; init; }

    /// <summary>Of <see cref="BlocksStored"/>, those the store already held (keys are content addresses).</summary>
    public long BlocksAlreadyPresent { get; init; }

    /// <summary>Verified blocks the store declined (every tier full of pinned blocks, or a failed write).</summary>
    public long BlocksNotAdmitted { get; init; }

    /// <summary>Block frames refused: cut short, invalid, or failing their checksum. None of them reached the store.</summary>
    public long BlocksRejected { get; init; }

    /// <summary>Payload bytes of the verified blocks.</summary>
    public long PayloadBytes { get; init; }

    /// <summary>Blocks the sender said it sent, from its end frame; -1 when no valid end frame arrived.</summary>
    public long BlocksAnnounced { get; init; } = -1;

    /// <summary>Whether the handshake was accepted and the stream ended with a valid end frame whose counts matched.</summary>
    public bool Completed { get; init; }

    /// <summary>Why the stream stopped short (<see cref="TransferFault.None"/> when it completed).</summary>
    public TransferFault Fault { get; init; }

    /// <summary>A sentence saying what went wrong and where (null when it completed).</summary>
    public string? Reason { get; init; }
}
