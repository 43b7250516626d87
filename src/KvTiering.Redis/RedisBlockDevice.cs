using System.Runtime.CompilerServices;
using System.Text;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Security;
using KvTiering.Tiers;
using StackExchange.Redis;

namespace KvTiering.Redis;

/// <summary>
/// A tier device whose blocks live in a Redis-protocol server (Garnet, Redis, Valkey; standalone or cluster). Each
/// block is one string value, <c>{namespace}:{key hex}</c> → checksummed header + payload, verified on every read,
/// so a corrupted, truncated or foreign value is a miss, never wrong bytes. The server is shared: as an
/// <see cref="IRemoteBlockSource"/>, the device serves blocks other stores put.
/// </summary>
/// <remarks>
/// <para>
/// The store's slots are a local map slot → key; the server holds the bytes. The server may drop a block on its own
/// (expiry, <c>maxmemory</c> eviction, a restart): the next read of that slot misses, the store frees the slot, and
/// <see cref="RedisTierStatistics.Vanished"/> counts it, so the store's resident count never claims a block the
/// server no longer has for longer than until its next read.
/// </para>
/// <para>
/// Faults (server down, slow or restarting) mark the tier unavailable for a back-off that doubles per fault in a row
/// (<see cref="RedisTierOptions.Backoff"/> to <see cref="RedisTierOptions.MaxBackoff"/>, on
/// <see cref="RedisTierOptions.TimeProvider"/>). While unavailable, reads and fetches miss at once and writes throw
/// <see cref="IOException"/> at once, which the store counts as a write failure and drops the demoted block; nothing
/// waits on the network. The first call after the back-off probes the server again. No call waits longer than
/// <see cref="RedisTierOptions.OperationTimeout"/> (for a connection made by <see cref="RedisTier.Connect"/>).
/// </para>
/// <para>
/// The slot calls (<see cref="Write"/>, <see cref="Read"/>, <see cref="Free"/>, and their awaitable
/// <see cref="ReadAsync"/> and <see cref="WriteAsync"/>) follow <see cref="IBlockDevice"/>'s contract: several in
/// flight on different slots, never two on one slot while one of them writes or frees it. The store's
/// <c>TryGetAsync</c>/<c>GetAsync</c> and <c>PutAsync</c> await the round trip outside the store's lock.
/// <see cref="TryFetch"/>, <see cref="MatchPrefix"/> and <see cref="GetStatistics"/> are safe from any thread.
/// </para>
/// </remarks>
public sealed partial class RedisBlockDevice : IAsyncBlockDevice, IRemoteBlockSource, IFaultCountingDevice
{
    private readonly IConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly bool _ownsConnection;
    private readonly byte[] _prefix;
    private readonly RedisSlotMap _slots;
    private readonly TimeSpan? _expiry;
    private readonly bool _slidingExpiry;
    private readonly bool _deleteOnFree;
    private readonly TimeSpan _operationTimeout;
    private readonly RedisValueSealer _sealer;
    private readonly RedisBackoff _backoff;
    private readonly RedisDeviceCounters _counters = new();
    private volatile bool _disposed;

    /// <summary>
    /// A device of <paramref name="slotCount"/> slots of up to <paramref name="slotBytes"/> bytes on the server behind
    /// <paramref name="connection"/>, which the caller keeps and disposes.
    /// </summary>
    /// <param name="connection">The server connection (see <see cref="RedisTier.Connect"/> for suitable settings).</param>
    /// <param name="options">Namespace, expiry, timeouts and back-off; read once, here.</param>
    /// <param name="slotCount">Number of slots: the blocks this store tracks in the tier.</param>
    /// <param name="slotBytes">Largest payload of one block, bytes.</param>
    /// <exception cref="ArgumentException">A count or option is out of range; the message names it.</exception>
    public RedisBlockDevice(IConnectionMultiplexer connection, RedisTierOptions options, int slotCount, int slotBytes)
        : this(connection, options, slotCount, slotBytes, authenticationKey: null, ownsConnection: false)
    {
    }

    /// <summary>
    /// A device whose blocks are sealed with <paramref name="authenticationKey"/> (see
    /// <see cref="KvTiering.Store.TierOptions.AuthenticationKey"/>): every value carries a MAC over key, parent, length and payload
    /// (<see cref="RedisTierOptions.MacAlgorithm"/>), and a value whose MAC fails is a miss, counted in
    /// <see cref="RedisTierStatistics.AuthenticationFailures"/>, and deleted. Null: checksums only.
    /// </summary>
    /// <inheritdoc cref="RedisBlockDevice(IConnectionMultiplexer, RedisTierOptions, int, int)"/>
    /// <param name="connection">The server connection (see <see cref="RedisTier.Connect"/> for suitable settings).</param>
    /// <param name="options">Namespace, expiry, timeouts and back-off; read once, here.</param>
    /// <param name="slotCount">Number of slots: the blocks this store tracks in the tier.</param>
    /// <param name="slotBytes">Largest payload of one block, bytes.</param>
    /// <param name="authenticationKey">A secret of at least 32 bytes shared by every store that may write blocks this one reads.</param>
    /// <exception cref="ArgumentException">A count or option is out of range, or the key is shorter than 32 bytes; the message names it.</exception>
    public RedisBlockDevice(IConnectionMultiplexer connection, RedisTierOptions options, int slotCount, int slotBytes,
        byte[]? authenticationKey)
        : this(connection, options, slotCount, slotBytes, authenticationKey, ownsConnection: false)
    {
    }

    private RedisBlockDevice(IConnectionMultiplexer connection, RedisTierOptions options, int slotCount, int slotBytes,
        byte[]? authenticationKey, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _slots = new RedisSlotMap(slotCount, slotBytes);
        _sealer = new RedisValueSealer(authenticationKey, options.MacAlgorithm, slotBytes);
        _connection = connection;
        _database = connection.GetDatabase();
        _ownsConnection = ownsConnection;
        Namespace = options.Namespace;
        _prefix = Encoding.UTF8.GetBytes(options.Namespace + ":");
        _expiry = options.Expiry;
        _slidingExpiry = options.SlidingExpiry && options.Expiry is not null;
        _deleteOnFree = options.DeleteOnFree;
        _operationTimeout = options.OperationTimeout;
        _backoff = new RedisBackoff(connection, options.TimeProvider, options.Backoff, options.MaxBackoff);
    }

    /// <summary>
    /// Opens a device with its own connection (see <see cref="RedisTier.Connect"/>), closed when the device is
    /// disposed. A server that is down does not fail the call: the device starts unavailable and recovers on its own.
    /// </summary>
    /// <inheritdoc cref="RedisBlockDevice(IConnectionMultiplexer, RedisTierOptions, int, int)"/>
    /// <param name="options">Namespace, expiry, timeouts and back-off; read once, here.</param>
    /// <param name="slotCount">Number of slots: the blocks this store tracks in the tier.</param>
    /// <param name="slotBytes">Largest payload of one block, bytes.</param>
    /// <param name="authenticationKey">A secret of at least 32 bytes that seals every block, or null for checksums only.</param>
    public static RedisBlockDevice Connect(RedisTierOptions options, int slotCount, int slotBytes, byte[]? authenticationKey = null)
    {
        ConnectionMultiplexer connection = RedisTier.Connect(options);
        try
        {
            return new RedisBlockDevice(connection, options, slotCount, slotBytes, authenticationKey, ownsConnection: true);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public int SlotCount => _slots.SlotCount;

    /// <inheritdoc />
    public int SlotBytes => _slots.SlotBytes;

    /// <inheritdoc />
    public bool StoresPayload => true;

    /// <summary>The prefix of this device's server-side keys.</summary>
    public string Namespace { get; }

    /// <summary>False while the tier backs off after a fault; calls then miss or drop at once.</summary>
    public bool IsAvailable => _backoff.IsAvailable;

    /// <summary>A snapshot of the device's counters.</summary>
    public RedisTierStatistics GetStatistics() => _counters.Snapshot(_backoff);

    /// <inheritdoc />
    /// <remarks>
    /// <c>vanished</c> (the server no longer had a block: expired, evicted or lost in a restart), <c>checksum</c> (a
    /// value that failed verification, deleted), <c>authentication</c> (a value whose MAC failed, deleted),
    /// <c>connection</c> (a connection loss, timeout or server error that started a back-off) and <c>dropped_write</c>
    /// (a demotion not written: unavailable, timed out or refused).
    /// </remarks>
    public IReadOnlyList<KeyValuePair<string, long>> GetFaultCounts() => _counters.FaultCounts(_backoff);

    /// <summary>Whether every block is sealed and verified with a secret.</summary>
    public bool IsAuthenticated => _sealer.Authenticator is not null;

    /// <inheritdoc />
    /// <exception cref="IOException">The server is unavailable or the write failed; the slot is left empty.</exception>
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload)
    {
        EnsureWritable(slot, key, payload.Length);

        RedisKey serverKey = BeginWrite(slot, key, parent, payload, out byte[] buffer, out int valueLength);
        try
        {
            _database.StringSet(serverKey, new ReadOnlyMemory<byte>(buffer, 0, valueLength), _expiry, When.Always);
        }
        catch (Exception ex) when (RedisBackoff.IsFault(ex))
        {
            WriteFaulted(key, ex);
        }

        EndWrite(slot, key, payload.Length, serverKey, buffer);
    }

    /// <summary>Forgets the slot and seals the block into a value buffer; throws at once when the tier is unavailable.</summary>
    private RedisKey BeginWrite(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload, out byte[] buffer, out int valueLength)
    {
        Forget(slot);
        if (!_backoff.TryEnter())
        {
            Interlocked.Increment(ref _counters.DroppedWrites);
            ThrowHelper.ThrowUnavailable($"The Redis tier '{Namespace}' is unavailable; the block was not written.");
        }

        buffer = _sealer.Seal(key, parent, payload, out valueLength);
        return ServerKey(key);
    }

    /// <summary>Books a failed write and throws; the buffer is given up (a timed-out command may still be queued with it).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void WriteFaulted(in BlockKey key, Exception ex)
    {
        Interlocked.Increment(ref _counters.DroppedWrites);
        _backoff.OnFault(ex);
        ThrowHelper.ThrowUnavailable($"Writing block {key} to the Redis tier '{Namespace}' failed: {ex.Message}", ex);
    }

    /// <summary>Records a written block in its slot and hands the value buffer back for the next write.</summary>
    private void EndWrite(int slot, in BlockKey key, int length, RedisKey serverKey, byte[] buffer)
    {
        _backoff.OnSuccess();
        Interlocked.Increment(ref _counters.Writes);
        _sealer.Return(buffer);
        _slots.Record(slot, key, length, serverKey);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Misses (returns -1) when the server no longer has the block (<see cref="RedisTierStatistics.Vanished"/>), its
    /// bytes fail verification (<see cref="RedisTierStatistics.ChecksumFailures"/>, or
    /// <see cref="RedisTierStatistics.AuthenticationFailures"/> when its MAC fails; the bad value is deleted), or the
    /// tier is unavailable; the store then frees the slot.
    /// </remarks>
    public int Read(int slot, in BlockKey key, Span<byte> destination)
    {
        EnsureUsable(slot);
        int length = _slots.BeginRead(slot, key, destination.Length);
        return length == 0 ? -1 : Verified(Get(_slots.ServerKey(slot), key, length, destination, out _), length, destination);
    }

    /// <summary>A slot read's outcome: its length when the server's value is the block written there, else -1 (counted).</summary>
    private int Verified(int read, int length, Span<byte> destination)
    {
        if (read == length)
        {
            Interlocked.Increment(ref _counters.Hits);
            return read;
        }

        if (read == Absent)
        {
            Interlocked.Increment(ref _counters.Vanished);
        }
        else if (read >= 0)
        {
            // Verified, but not the length this slot was written with: not the block we wrote.
            destination[..read].Clear();
            Interlocked.Increment(ref _counters.ChecksumFailures);
        }

        return -1;
    }

    /// <inheritdoc />
    public int PayloadLength(int slot)
    {
        EnsureUsable(slot);
        return _slots.Length(slot);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Forgets the slot. The block stays on the server for other stores (until it expires or the server evicts it)
    /// unless <see cref="RedisTierOptions.DeleteOnFree"/> is set.
    /// </remarks>
    public void Free(int slot)
    {
        EnsureUsable(slot);
        if (_slots.Length(slot) != 0 && _deleteOnFree)
        {
            DeleteQuietly(_slots.ServerKey(slot));
        }

        Forget(slot);
    }

    /// <summary>Closes the connection when the device opened it. Later slot calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sealer.Dispose();
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }

    private void Forget(int slot) => _slots.Forget(slot);

    /// <summary>The checks every write makes (sync and async): a usable slot, a payload that fits, a key.</summary>
    private void EnsureWritable(int slot, in BlockKey key, int payloadLength)
    {
        EnsureUsable(slot);
        _slots.CheckWrite(key, payloadLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureUsable(int slot)
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        _slots.CheckSlot(slot);
    }
}
