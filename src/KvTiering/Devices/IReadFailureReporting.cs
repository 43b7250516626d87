namespace KvTiering.Devices;

/// <summary>
/// A device that says why a read missed: a block whose bytes failed verification (<see cref="ReadFailure.Corrupt"/>),
/// a block it no longer has (<see cref="ReadFailure.Lost"/>) or a device it could not reach
/// (<see cref="ReadFailure.Unreachable"/>). <see cref="IBlockDevice.Read"/> answers every miss with -1; the store asks
/// this only after such a miss, so the read path costs nothing more, and counts and logs the causes apart. A device that
/// does not declare it has every miss counted as a checksum failure, as before.
/// </summary>
/// <remarks>
/// The device records the cause of each read of a slot that returns -1 (sync or awaited) before returning it; the store
/// asks while the slot is still kept from being freed or rewritten. Two reads of one slot may run at once, so the
/// answer is the cause of the latest failed read of the slot (the same block, read at about the same time).
/// </remarks>
public interface IReadFailureReporting
{
    /// <summary>The cause of the latest read of <paramref name="slot"/> that returned -1.</summary>
    /// <param name="slot">A slot in range.</param>
    /// <returns><see cref="ReadFailure.Unknown"/> when no read of the slot has failed.</returns>
    ReadFailure LastReadFailure(int slot);
}
