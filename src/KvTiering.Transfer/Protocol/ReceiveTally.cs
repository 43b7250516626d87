using System.Globalization;
using KvTiering.Store;

namespace KvTiering.Transfer.Protocol;

/// <summary>The running counts of one receive, and the first fault that stopped it.</summary>
internal sealed class ReceiveTally
{
    public long Session;
    public long Received;
    public long Verified;
    public long Stored;
    public long AlreadyPresent;
    public long NotAdmitted;
    public long Rejected;
    public long PayloadBytes;
    public long Announced = -1;
    public bool Completed;
    public TransferFault Fault;
    public string? Reason;

    /// <summary>Bytes of a frame that has begun to arrive but is not whole yet.</summary>
    public long PendingBytes;

    /// <summary>Whether those pending bytes start a block frame (rather than the end frame).</summary>
    public bool PendingIsBlock;

    /// <summary>Records the first fault; later ones only follow from it.</summary>
    public void Fail(TransferFault fault, string? reason)
    {
        if (Fault == TransferFault.None)
        {
            Fault = fault;
            Reason = reason;
        }

        Completed = false;
    }

    /// <summary>Counts a verified block by what the store did with it.</summary>
    public void OnStored(PutResult result, int payloadBytes)
    {
        Received++;
        Verified++;
        PayloadBytes += payloadBytes;
        switch (result)
        {
            case PutResult.Stored:
                Stored++;
                break;
            case PutResult.AlreadyPresent:
                Stored++;
                AlreadyPresent++;
                break;
            default:
                NotAdmitted++;
                break;
        }
    }

    /// <summary>Counts a block frame that arrived but was refused.</summary>
    public void OnRejected()
    {
        Received++;
        Rejected++;
    }

    /// <summary>
    /// The stream stopped (ended, failed or timed out) with <see cref="PendingBytes"/> of a frame in hand: that frame
    /// counts as received and rejected, and its bytes are dropped.
    /// </summary>
    public void DiscardPending(TransferFault fault, string what)
    {
        long index = Received;
        if (PendingBytes > 0)
        {
            if (PendingIsBlock)
            {
                OnRejected();
            }

            Fail(fault, string.Create(CultureInfo.InvariantCulture,
                $"{what} {PendingBytes} bytes into frame {index}; the partial frame was discarded and {Verified} whole blocks were kept"));
            PendingBytes = 0;
        }
        else
        {
            Fail(fault, string.Create(CultureInfo.InvariantCulture,
                $"{what} after {Verified} whole blocks, before the end frame"));
        }
    }

    public BlockReceiveResult ToResult() => new()
    {
        SessionId = Session,
        BlocksReceived = Received,
        BlocksVerified = Verified,
        BlocksStored = Stored,
        BlocksAlreadyPresent = AlreadyPresent,
        BlocksNotAdmitted = NotAdmitted,
        BlocksRejected = Rejected,
        PayloadBytes = PayloadBytes,
        BlocksAnnounced = Announced,
        Completed = Completed && Fault == TransferFault.None,
        Fault = Fault,
        Reason = Reason,
    };
}
