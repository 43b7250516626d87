using KvTiering.Blocks;

namespace KvTiering.Devices;

/// <summary>
/// The bytes behind one tier: a fixed number of fixed-size slots, each holding one block. An inference server can
/// implement it over its own device memory; the store decides what goes where.
/// </summary>
/// <remarks>
/// <para>
/// Concurrency contract: the store may call <see cref="Read"/>, <see cref="Write"/> and <see cref="PayloadLength"/>
/// outside its lock, from several threads at once, on <em>different</em> slots. It never runs a <see cref="Write"/>
/// concurrently with any other call on the <em>same</em> slot, and never calls <see cref="Free"/> on a slot while a
/// read or write of it is in flight. Calls on different slots must therefore not share unsynchronized state (a
/// single scratch buffer, a file position).
/// </para>
/// <para>
/// Further abilities are declared, not inferred from the type: <see cref="IDirectSlotAccess"/> (slots in addressable
/// memory, read in place), <see cref="IPersistentBlockDevice"/> (blocks survive a restart) and
/// <see cref="IRemoteBlockSource"/> (a shared tier that may hold blocks this store never put).
/// </para>
/// </remarks>
public interface IBlockDevice : IDisposable
{
    /// <summary>Number of slots.</summary>
    int SlotCount { get; }

    /// <summary>Largest payload one slot holds, bytes.</summary>
    int SlotBytes { get; }

    /// <summary>
    /// False for metadata-only devices, which keep no bytes (the simulation harness uses them); the store then skips
    /// their <see cref="Write"/> and <see cref="Free"/> calls.
    /// </summary>
    bool StoresPayload { get; }

    /// <summary>Writes one block into <paramref name="slot"/>, replacing whatever was there.</summary>
    /// <exception cref="IOException">The write failed (for example, the disk is full); the slot is left invalid.</exception>
    void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Reads the block in <paramref name="slot"/> into <paramref name="destination"/>, verifying that it is the block
    /// named <paramref name="key"/> and that its bytes are intact.
    /// </summary>
    /// <returns>The payload length, or -1 when verification failed (the caller must treat it as a miss).</returns>
    int Read(int slot, in BlockKey key, Span<byte> destination);

    /// <summary>Payload length stored in <paramref name="slot"/> (0 for metadata-only devices).</summary>
    int PayloadLength(int slot);

    /// <summary>Marks <paramref name="slot"/> free, so it is not recovered after a restart.</summary>
    void Free(int slot);
}
