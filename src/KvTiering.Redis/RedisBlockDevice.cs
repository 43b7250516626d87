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
/// <see cref="IOException"/> at once; the store asks <see cref="CanWriteNow"/> first, so it places no put or demotion
/// here meanwhile (a write already staged fails, counted as a write failure, its block dropped); nothing waits on the
/// network. The first call after the back-off probes the server again; a connection that reports the server
/// back (<c>ConnectionRestored</c>) ends the back-off at once. No call waits longer than
/// <see cref="RedisTierOptions.OperationTimeout"/> (for a connection made by <see cref="RedisTier.Connect"/>).
/// </para>
/// <para>
/// The slot calls (<see cref="Write"/>, <see cref="Read"/>, <see cref="Free"/>, and their awaitable
/// <see cref="ReadAsync"/> and <see cref="WriteAsync"/>) follow <see cref="IBlockDevice"/>'s contract: several in
/// flight on different slots, never two on one slot while one of them writes or frees it. The store's
/// <c>TryGetAsync</c>/<c>GetAsync</c> and <c>PutAsync</c> await the round trip outside the store's lock.
/// <see cref="TryFetch"/>, <see cref="TryFetchAsync"/>, <see cref="MatchPrefix"/> and <see cref="GetStatistics"/> are safe from any
/// thread; the store calls them outside its lock.
/// </para>
/// </remarks>
public sealed class RedisBlockDevice : IConcurrentReads, IConcurrentWrites, IRemoteBlockSource, IFaultCountingDevice, IReadFailureReporting,
    IWriteAvailability
{
    private readonly IConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;
    private readonly RedisSlotMap _slots;
    private readonly RedisValueSealer _sealer;
    private readonly RedisBackoff _backoff;
    private readonly RedisValues _values;
    private readonly RedisPrefixMatcher _matcher;
    private readonly RedisDeviceCounters _counters = new();
    private readonly RedisDeviceGuard _guard;
    private readonly RedisBlockReads _reads;
    private readonly RedisBlockWrites _writes;

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
        _ownsConnection = ownsConnection;
        Namespace = options.Namespace;
        ReadWindow = options.ReadWindow;
        WriteWindow = options.WriteWindow;
        _backoff = new RedisBackoff(connection, options.TimeProvider, options.Backoff, options.MaxBackoff, 2 * options.OperationTimeout);
        _backoff.Watch();
        IDatabase database = connection.GetDatabase();
        _values = new RedisValues(database, options, slotBytes, _sealer, _backoff, _counters);
        _guard = new RedisDeviceGuard(this, _slots);
        _matcher = new RedisPrefixMatcher(database, _values, options, slotBytes, _sealer, _backoff, _counters, _guard);
        _reads = new RedisBlockReads(_guard, _slots, _values, _counters);
        _writes = new RedisBlockWrites(_guard, _slots, _values, options.DeleteOnFree);
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

    /// <inheritdoc />
    /// <remarks><see cref="RedisTierOptions.ReadWindow"/>: StackExchange.Redis pipelines concurrent commands on the one connection.</remarks>
    public int ReadWindow { get; }

    /// <inheritdoc />
    /// <remarks><see cref="RedisTierOptions.WriteWindow"/>: StackExchange.Redis pipelines concurrent commands on the one connection.</remarks>
    public int WriteWindow { get; }

    /// <summary>The prefix of this device's server-side keys.</summary>
    public string Namespace { get; }

    /// <summary>False while the tier backs off after a fault; calls then miss or drop at once.</summary>
    public bool IsAvailable => _backoff.IsAvailable;

    /// <inheritdoc />
    /// <remarks>
    /// False while the tier backs off after a fault, or while the connection has no server (a write would be turned
    /// away at once, as <see cref="Write"/> does): the store then stages no put or demotion for this tier, so none is
    /// answered <c>Stored</c> and dropped when its write fails after the reply. No network, no lock.
    /// </remarks>
    public bool CanWriteNow => _backoff.IsAvailable && _connection.IsConnected;

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
    public void Write(int slot, in BlockKey key, in BlockKey parent, ReadOnlySpan<byte> payload) => _writes.Write(slot, key, parent, payload);

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="Write"/>, with the server's acknowledgement awaited (<c>StringSetAsync</c>). Cancellation is
    /// checked before the value is sent; once sent, the write completes.
    /// </remarks>
    public ValueTask WriteAsync(int slot, BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _writes.WriteAsync(slot, key, parent, payload, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Misses (returns -1) when the server no longer has the block (<see cref="RedisTierStatistics.Vanished"/>), its
    /// bytes fail verification (<see cref="RedisTierStatistics.ChecksumFailures"/>, or
    /// <see cref="RedisTierStatistics.AuthenticationFailures"/> when its MAC fails; the bad value is deleted), or the
    /// tier is unavailable; the store then frees the slot.
    /// </remarks>
    public int Read(int slot, in BlockKey key, Span<byte> destination) => _reads.Read(slot, key, destination);

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="Read"/>, with the server's reply awaited (StackExchange.Redis's <c>StringGetLeaseAsync</c>), so the
    /// store's <c>TryGetAsync</c> waits for the network outside its lock and without a blocked thread. A cancelled
    /// read leaves the slot as it was; the reply, if it still comes, is discarded.
    /// </remarks>
    public ValueTask<int> ReadAsync(int slot, BlockKey key, Memory<byte> destination, CancellationToken cancellationToken) =>
        _reads.ReadAsync(slot, key, destination, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="ReadFailure.Lost"/>: the server had no value under the block's key (evicted, expired, deleted, or a
    /// server restarted empty; <see cref="RedisTierStatistics.Vanished"/>), or the slot held no such block.
    /// <see cref="ReadFailure.Corrupt"/>: a value that failed its checksum or seal, or was not the block written there.
    /// <see cref="ReadFailure.Unreachable"/>: the tier was unavailable (backed off) or the call faulted or timed out.
    /// </remarks>
    public ReadFailure LastReadFailure(int slot) => _reads.LastReadFailure(slot);

    /// <inheritdoc />
    public int PayloadLength(int slot)
    {
        _guard.EnsureUsable(slot);
        return _slots.Length(slot);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Forgets the slot. The block stays on the server for other stores (until it expires or the server evicts it)
    /// unless <see cref="RedisTierOptions.DeleteOnFree"/> is set.
    /// </remarks>
    public void Free(int slot) => _writes.Free(slot);

    /// <summary>Closes the connection when the device opened it. Later slot calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_guard.TryClose())
        {
            return;
        }

        _backoff.Unwatch();
        _sealer.Dispose();
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }

    /// <inheritdoc />
    /// <remarks>Causes as <see cref="LastReadFailure"/>'s, Lost meaning no value under the key (never put here, or gone).</remarks>
    public int TryFetch(in BlockKey key, Span<byte> destination, out BlockKey parent, out ReadFailure failure) =>
        _reads.TryFetch(key, destination, out parent, out failure);

    /// <inheritdoc />
    public ValueTask<(int Length, BlockKey Parent, ReadFailure Failure)> TryFetchAsync(BlockKey key, Memory<byte> destination,
        CancellationToken cancellationToken) => _reads.TryFetchAsync(key, destination, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Reads only each value's header (<c>GETRANGE key 0 63</c>; with authentication the seal too, bytes 0 to 111),
    /// pipelined in batches of 256 keys; a header that does not verify, or whose seal does not, counts as absent. Each
    /// batch goes to whichever cluster nodes own its keys, in parallel.
    /// </remarks>
    public int MatchPrefix(ReadOnlySpan<BlockKey> keys) => _matcher.MatchPrefix(keys);

    /// <inheritdoc />
    /// <remarks>
    /// Reads only each value's header, as <see cref="MatchPrefix"/> does (with authentication the seal too), for every
    /// key in one pipelined batch: one round trip, each cluster node answering its share in parallel. A header that does
    /// not verify (another namespace's or format's value, a forged or damaged one) is not held; while the tier backs off
    /// nothing is held and nothing is sent.
    /// </remarks>
    public int Holds(ReadOnlySpan<BlockKey> keys, Span<bool> held) => _matcher.Holds(keys, held);

    /// <inheritdoc />
    /// <remarks>The same pipelined batch as <see cref="Holds"/>, its replies awaited (up to the operation timeout).</remarks>
    public ValueTask<int> HoldsAsync(ReadOnlyMemory<BlockKey> keys, Memory<bool> held, CancellationToken cancellationToken) =>
        _matcher.HoldsAsync(keys, held, cancellationToken);

    /// <inheritdoc />
    public bool CanShare => true;

    /// <inheritdoc />
    /// <remarks>
    /// The slot write's path (<see cref="WriteAsync"/>'s seal and <c>SET</c>, under the block's own server key, with
    /// <see cref="RedisTierOptions.Expiry"/>), without a slot: counted as a write; while the tier backs off it throws
    /// at once, sending nothing (a dropped write).
    /// </remarks>
    public ValueTask ShareAsync(BlockKey key, BlockKey parent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        _writes.ShareAsync(key, parent, payload, cancellationToken);

    /// <summary>The server key of <paramref name="key"/>: the namespace prefix and the key's 32 hex digits.</summary>
    internal RedisKey ServerKey(in BlockKey key) => _values.ServerKey(key);
}
