namespace KvTiering.Transfer.Protocol;

/// <summary>The running counts of one send, and the first fault that stopped it.</summary>
internal sealed class SendTally
{
    public long Session;
    public long Sent;
    public long Missing;
    public long PayloadBytes;
    public bool Accepted;
    public bool Finished;
    public bool ReceiptRead;
    public TransferFault Fault;
    public string? Reason;
    public TransferReceipt? Receipt;

    /// <summary>Records the first fault; later ones only follow from it.</summary>
    public void Fail(TransferFault fault, string? reason)
    {
        if (Fault == TransferFault.None)
        {
            Fault = fault;
            Reason = reason;
        }
    }

    /// <summary>Takes the receiver's receipt. Its fault, when it has one, explains the stream's end better than ours.</summary>
    public void OnReceipt(in ReceiverMessage message)
    {
        Receipt = new TransferReceipt
        {
            BlocksReceived = message.BlocksReceived,
            BlocksStored = message.BlocksStored,
            BlocksRejected = message.BlocksRejected,
            Completed = message.Fault == TransferFault.None,
            Fault = message.Fault,
            Reason = message.Reason,
        };

        if (message.Fault != TransferFault.None)
        {
            Fault = message.Fault;
            Reason = $"the receiver stopped the stream: {message.Reason}";
        }
    }

    public BlockSendResult ToResult() => new()
    {
        SessionId = Session,
        BlocksSent = Sent,
        BlocksMissing = Missing,
        PayloadBytes = PayloadBytes,
        Completed = Finished && Fault == TransferFault.None && Receipt is { Completed: true },
        Fault = Fault,
        Reason = Reason,
        Receipt = Receipt,
    };
}
