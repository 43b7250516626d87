using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>A block found in a persistent device when it was opened.</summary>
/// <param name="Slot">The slot that holds it.</param>
/// <param name="Key">Its key.</param>
/// <param name="Parent">Its parent's key.</param>
/// <param name="PayloadLength">Its payload length in bytes.</param>
/// <param name="Generation">Write generation; higher is newer.</param>
public readonly record struct RecoveredBlock(int Slot, BlockKey Key, BlockKey Parent, int PayloadLength, ulong Generation);
