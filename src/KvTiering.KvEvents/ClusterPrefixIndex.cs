using System.Buffers;
using KvTiering.Events;
using KvTiering.Store;
using Microsoft.Extensions.Logging;

namespace KvTiering.KvEvents;

/// <summary>
/// Which blocks each instance of a fleet holds, and in which tier, learnt from KV events — of KvTiering stores or of
/// any engine that publishes vLLM's format — so a router can ask, for a prompt's block hashes, how many leading
/// blocks every instance already has.
/// </summary>
/// <remarks>
/// Hashes are the 64-bit form of vLLM's events. The index keeps, per block, the instances holding it with a bit per
/// medium; a lookup walks the prompt's blocks in order and advances only instances that held every block so far, so it
/// costs the number of (block, holder) pairs on the matched prefix, not blocks × instances (the same walk as Dynamo's
/// radix-tree indexer). Removals apply at once and a publisher whose history is lost is forgotten, so the index may
/// under-report after a fault but never reports a block an instance removed.
/// </remarks>
public sealed class ClusterPrefixIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<ulong, BlockHolders> _blocks = [];
    private readonly List<Dictionary<ulong, int>> _held = [];
    private readonly List<string> _names = [];
    private readonly List<IDisposable> _followers = [];

    /// <summary>The instances, by id.</summary>
    public IReadOnlyList<string> Instances
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return [.. _names];
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Distinct blocks held anywhere.</summary>
    public int BlockCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _blocks.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Adds an instance fed by the caller through <c>Apply</c>; returns its id.</summary>
    public int AddInstance(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _lock.EnterWriteLock();
        try
        {
            if (_names.Contains(name))
            {
                throw new ArgumentException($"The instance '{name}' is already in the index.", nameof(name));
            }

            _names.Add(name);
            _held.Add([]);
            return _names.Count - 1;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Follows a vLLM-format ZeroMQ publisher (a vLLM server or a <see cref="ZmqKvEventPublisher"/>).</summary>
    /// <returns>The instance's id.</returns>
    public int Follow(string name, string endpoint, string? replayEndpoint = null, string topic = "") =>
        Follow(name, endpoint, new ZmqKvEventSubscriberOptions { ReplayEndpoint = replayEndpoint, Topic = topic });

    /// <summary>Follows a vLLM-format ZeroMQ publisher with the replay endpoint, topic and timeouts of <paramref name="options"/>.</summary>
    /// <returns>The instance's id.</returns>
    public int Follow(string name, string endpoint, ZmqKvEventSubscriberOptions options, ILogger? logger = null)
    {
        int instance = AddInstance(name);
        var subscriber = new ZmqKvEventSubscriber(endpoint, options, b => Apply(instance, b), () => Reset(instance), logger);
        lock (_followers)
        {
            _followers.Add(subscriber);
        }

        return instance;
    }

    /// <summary>Follows a store in this process through its event feed (with a snapshot, so nothing is missed).</summary>
    /// <returns>The instance's id.</returns>
    public int Follow(string name, TieredKvStore store, int queueCapacity = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(store);
        int instance = AddInstance(name);
        KvEventSubscription subscription = store.Events.Subscribe(queueCapacity, snapshot: true);
        var follower = new StoreFollower(this, instance, subscription);
        lock (_followers)
        {
            _followers.Add(follower);
        }

        return instance;
    }

    /// <summary>Applies one batch of an instance's events.</summary>
    public void Apply(int instance, VllmEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _lock.EnterWriteLock();
        try
        {
            Dictionary<ulong, int> held = _held[instance];
            foreach (VllmKvEvent e in batch.Events)
            {
                int bit = 1 << MediumIndex.Of(e.Medium);
                switch (e.Kind)
                {
                    case KvEventKind.Stored:
                        foreach (ulong h in e.BlockHashes)
                        {
                            Store(instance, held, h, bit);
                        }

                        break;
                    case KvEventKind.Removed:
                        foreach (ulong h in e.BlockHashes)
                        {
                            Drop(instance, held, h, bit);
                        }

                        break;
                    default:
                        ClearLocked(instance);
                        break;
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Applies one event of a KvTiering store (its key's low half is the hash).</summary>
    public void Apply(int instance, in KvEvent e)
    {
        _lock.EnterWriteLock();
        try
        {
            Dictionary<ulong, int> held = _held[instance];
            int bit = 1 << MediumIndex.Of(e.Medium);
            switch (e.Kind)
            {
                case KvEventKind.Stored: Store(instance, held, e.Key.Low, bit); break;
                case KvEventKind.Removed: Drop(instance, held, e.Key.Low, bit); break;
                default: ClearLocked(instance); break;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Forgets everything an instance holds.</summary>
    public void Reset(int instance)
    {
        _lock.EnterWriteLock();
        try
        {
            ClearLocked(instance);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Blocks an instance holds.</summary>
    public int HeldBy(int instance)
    {
        _lock.EnterReadLock();
        try
        {
            return _held[instance].Count;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// For a prompt's block hashes (in order, 64-bit form), the instances holding at least its first block and how
    /// many leading blocks each holds, split by the fastest tier each block is in; longest match first.
    /// </summary>
    /// <returns>The number of entries written (at most <paramref name="destination"/>'s length).</returns>
    public int Match(ReadOnlySpan<ulong> blockHashes, Span<PrefixOverlap> destination) =>
        PrefixWalk.Run(this, blockHashes, destination);

    internal int InstanceCount => _names.Count;

    internal bool TryGetHolders(ulong hash, out BlockHolders? holders) => _blocks.TryGetValue(hash, out holders);

    internal ReaderWriterLockSlim Lock => _lock;

    /// <summary>Stops following every publisher.</summary>
    public void Dispose()
    {
        lock (_followers)
        {
            foreach (IDisposable f in _followers)
            {
                f.Dispose();
            }

            _followers.Clear();
        }
    }

    private void Store(int instance, Dictionary<ulong, int> held, ulong hash, int bit)
    {
        if (!_blocks.TryGetValue(hash, out BlockHolders? holders))
        {
            holders = new BlockHolders();
            _blocks.Add(hash, holders);
        }

        holders.Add(instance, bit);
        held[hash] = held.GetValueOrDefault(hash) | bit;
    }

    private void Drop(int instance, Dictionary<ulong, int> held, ulong hash, int bit)
    {
        if (!held.TryGetValue(hash, out int bits))
        {
            return;
        }

        // vLLM's events for its device cache carry no medium; a removal without one takes the block out of the device
        // tier, and a block listed in no tier any more leaves the instance.
        int left = bits & ~bit;
        if (left == 0)
        {
            held.Remove(hash);
        }
        else
        {
            held[hash] = left;
        }

        if (_blocks.TryGetValue(hash, out BlockHolders? holders))
        {
            holders.Remove(instance, bit);
            if (holders.Count == 0)
            {
                _blocks.Remove(hash);
            }
        }
    }

    private void ClearLocked(int instance)
    {
        Dictionary<ulong, int> held = _held[instance];
        foreach ((ulong hash, int bits) in held)
        {
            if (_blocks.TryGetValue(hash, out BlockHolders? holders))
            {
                holders.Remove(instance, bits);
                if (holders.Count == 0)
                {
                    _blocks.Remove(hash);
                }
            }
        }

        held.Clear();
    }
}
