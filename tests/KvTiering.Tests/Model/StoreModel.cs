using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;

namespace KvTiering.Tests.Model;

/// <summary>One step of a random store program.</summary>
internal enum StoreOp
{
    Put,
    TryGet,
    Remove,
    Pin,
    Unpin,
    MatchPrefix,
    Hint,
    Reopen,
}

/// <summary>
/// The reference model a store is checked against: which keys were put and not removed since (they may have been
/// evicted), their pins, and the capacity rules. Payloads are a function of the key, so any mix-up shows.
/// </summary>
internal sealed class StoreModel : IDisposable
{
    private const int BlockBytes = 128;
    private static readonly KvLayout Layout = new("model-test", 1, 1, 8, 2, 4);
    private readonly int[] _capacities;
    private readonly string? _directory;
    private readonly HashSet<int> _live = [];
    private readonly Dictionary<int, int> _pins = [];
    private readonly byte[] _buffer = new byte[BlockBytes];

    public StoreModel(int[] capacities, bool flash)
    {
        _capacities = capacities;
        if (flash)
        {
            _directory = Path.Combine(Path.GetTempPath(), "kvt-model-" + Guid.NewGuid().ToString("N"));
        }

        Store = Open();
    }

    public TieredKvStore Store { get; private set; }

    /// <summary>Whether every key put and not removed must still be resident (total capacity covers the key space).</summary>
    public bool Roomy { get; init; }

    /// <summary>
    /// Readers run beside the program: their promotions can demote or drop blocks between two reads of the store,
    /// so only invariants within one statistics snapshot are checked.
    /// </summary>
    public bool ConcurrentReaders { get; init; }

    public static BlockKey Key(int i) => new((ulong)i + 1, 0x5EED);

    public static BlockKey Parent(int i) => i == 0 ? BlockKey.Empty : Key(i - 1);

    /// <summary>Bytes of block <paramref name="i"/>: seeded by the key, with a length of its own.</summary>
    public static byte[] Payload(int i)
    {
        var bytes = new byte[BlockBytes - (i % 5) * 7];
        new Random(i * 7919 + 1).NextBytes(bytes);
        return bytes;
    }

    public void Apply(StoreOp op, int k)
    {
        BlockKey key = Key(k);
        switch (op)
        {
            case StoreOp.Put:
                PutResult put = Store.Put(key, Parent(k), Payload(k));
                Assert.True(put is PutResult.Stored or PutResult.AlreadyPresent or PutResult.Rejected, $"put {k}: {put}");
                if (put != PutResult.Rejected)
                {
                    _live.Add(k);
                }

                break;
            case StoreOp.TryGet:
                CheckRead(k);
                break;
            case StoreOp.Remove:
                bool resident = Store.Contains(key);
                bool removed = Store.Remove(key);

                // A reader's promotion beside the program can drop the block between the two calls (its victim's move
                // evicts from the last tier); readers never add one, so only "absent, then removed" is wrong then.
                Assert.True(ConcurrentReaders ? resident || !removed : resident == removed,
                    $"remove {k}: resident {resident}, removed {removed}");
                _live.Remove(k);
                _pins.Remove(k);
                break;
            case StoreOp.Pin:
                if (Store.Pin(key))
                {
                    Assert.Contains(k, _live);
                    _pins[k] = _pins.GetValueOrDefault(k) + 1;
                }

                break;
            case StoreOp.Unpin:
                Assert.Equal(_pins.ContainsKey(k), Store.Unpin(key));
                if (_pins.TryGetValue(k, out int count))
                {
                    if (count == 1)
                    {
                        _pins.Remove(k);
                    }
                    else
                    {
                        _pins[k] = count - 1;
                    }
                }

                break;
            case StoreOp.MatchPrefix:
                CheckPrefix(k);
                break;
            case StoreOp.Hint:
                Store.Hint(k, k % 2 == 0 ? SessionHint.Closed : SessionHint.Paused);
                break;
            case StoreOp.Reopen:
                if (_directory is not null)
                {
                    // Flush (FlushOnDispose) moves only unpinned blocks down (TieredKvStore.Flush's contract): a block
                    // pinned in a memory tier is lost with the process.
                    foreach (int pinned in _pins.Keys)
                    {
                        if (Store.TierOf(Key(pinned)) < _capacities.Length - 1)
                        {
                            _live.Remove(pinned);
                        }
                    }

                    Store.Dispose();
                    Store = Open();
                    _pins.Clear(); // pins are process state, not persisted
                }

                break;
        }

        CheckInvariants();
    }

    /// <summary>A read returns the key's own bytes or misses; it misses for a key never put or removed since.</summary>
    private void CheckRead(int k)
    {
        bool hit = Store.TryGet(Key(k), _buffer, out int written);
        if (hit)
        {
            Assert.Contains(k, _live);
            Assert.True(Payload(k).AsSpan().SequenceEqual(_buffer.AsSpan(0, written)), $"wrong bytes for block {k}");
        }
        else
        {
            Assert.False(Roomy && _live.Contains(k), $"block {k} was put, never removed, and the store has room, yet it missed");
            Assert.False(_pins.ContainsKey(k), $"pinned block {k} missed");
            _live.Remove(k); // evicted
        }
    }

    /// <summary>The chain k, k+1, …: the match counts exactly the resident leading blocks, and each of them reads back.</summary>
    private void CheckPrefix(int k)
    {
        BlockKey[] chain = Enumerable.Range(k, 6).Select(Key).ToArray();
        int matched = Store.MatchPrefix(chain).Blocks;
        int resident = 0;
        while (resident < chain.Length && Store.Contains(chain[resident]))
        {
            resident++;
        }

        Assert.Equal(resident, matched);
        for (int i = 0; i < matched; i++)
        {
            // Reading promotes, which may push a later block of this chain out of the store: that is eviction, not
            // over-reporting. A block still resident must read back.
            if (Store.Contains(chain[i]))
            {
                Assert.True(Store.TryGet(chain[i], _buffer, out int written), $"matched block {k + i} did not read");
                Assert.True(Payload(k + i).AsSpan().SequenceEqual(_buffer.AsSpan(0, written)), $"wrong bytes for block {k + i}");
            }
        }
    }

    private void CheckInvariants()
    {
        StoreStatistics stats = Store.GetStatistics();
        Assert.Equal(stats.Lookups, stats.Hits + stats.Misses);
        if (!ConcurrentReaders)
        {
            Assert.Equal(Store.Count, stats.ResidentBlocks);
        }

        Assert.Equal(stats.ResidentBlocks, stats.Tiers.Sum(t => t.ResidentBlocks));
        Assert.True(stats.ResidentBlocks <= _capacities.Sum(), $"{stats.ResidentBlocks} blocks over a capacity of {_capacities.Sum()}");
        foreach (TierStatistics tier in stats.Tiers)
        {
            Assert.True(tier.ResidentBlocks <= tier.CapacityBlocks, $"tier {tier.Tier}: {tier.ResidentBlocks} > {tier.CapacityBlocks}");
            Assert.True(tier.PinnedBlocks <= tier.CapacityBlocks / 2, $"tier {tier.Tier}: {tier.PinnedBlocks} pins over half of {tier.CapacityBlocks}");
        }

        Assert.Equal(_pins.Count, stats.Tiers.Sum(t => t.PinnedBlocks));
        foreach (int k in _pins.Keys)
        {
            Assert.True(Store.Contains(Key(k)), $"pinned block {k} is gone");
        }

        if (Roomy)
        {
            Assert.Equal(_live.Count, Store.Count);
        }
    }

    private TieredKvStore Open()
    {
        var options = new KvStoreOptions { Layout = Layout, MaxPinnedFraction = 0.5, FlushOnDispose = _directory is not null };
        for (int i = 0; i < _capacities.Length; i++)
        {
            bool last = i == _capacities.Length - 1;
            TierKind kind = last && _directory is not null ? TierKind.Flash : TierKind.Dram;
            options.Tiers.Add(new TierOptions(new TierProfile($"t{i}", kind, 1e9, 1e9, TimeSpan.FromMicroseconds(1), 10, 1L << 30),
                _capacities[i])
            {
                Policy = i == 0 ? EvictionPolicies.Clock : EvictionPolicy.Lru,
                Directory = last ? _directory : null,
                FlashRecoveryVerificationBudget = PatientFlash.Budget, // a reopen must find every live block
            });
        }

        return new TieredKvStore(options);
    }

    public void Dispose()
    {
        Store.Dispose();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
