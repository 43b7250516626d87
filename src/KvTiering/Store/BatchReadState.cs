using System.Runtime.ExceptionServices;
using KvTiering.Blocks;

namespace KvTiering.Store;

/// <summary>
/// One <see cref="BatchReader"/> call's state: its reads in flight (oldest first), per tier how many, the first
/// exception a read threw, and the blocks found so far.
/// </summary>
internal sealed class BatchReadState(TieredKvStore store, Memory<byte> destination, Memory<BlockRead> results, int tiers,
    CancellationToken cancellationToken)
{
    public TieredKvStore Store => store;

    public CancellationToken CancellationToken => cancellationToken;

    public Queue<InFlight> Pending { get; } = new();

    public int[] Busy { get; } = new int[tiers];

    public ExceptionDispatchInfo? Failure { get; set; }

    public int Found { get; private set; }

    /// <summary>Block <paramref name="index"/>'s place in the destination.</summary>
    public Memory<byte> Into(int index, int blockBytes) => destination.Slice(index * blockBytes, blockBytes);

    public void Record(int index, BlockRead read)
    {
        results.Span[index] = read;
        Found += read.Found ? 1 : 0;
    }

    /// <summary>A block's read outside the lock: its entry and slot as they were when it began.</summary>
    public readonly record struct Ticket(int Entry, Tier Tier, int Slot, long Stamp);

    /// <summary>A read sent: the block's place in the batch, its ticket, and the device's task.</summary>
    public readonly record struct InFlight(int Index, Ticket Ticket, Task<int> Pending);
}
