namespace KvTiering.Devices;

// Not an unsafe part: an await may not sit in an unsafe context.
internal sealed partial class AlignedBufferPool
{
    /// <summary>Takes a buffer as <see cref="Memory{T}"/> (its whole length), awaiting one while all are in use.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; nothing was taken.</exception>
    public async ValueTask<NativeBufferMemory> RentAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return TakeMemory();
    }
}
