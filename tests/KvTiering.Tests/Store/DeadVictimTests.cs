using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// A victim its policy knows dead (<see cref="IKnowsDeadBlocks"/>) leaves the store instead of moving down a tier
/// (<see cref="KvStoreOptions.DropDeadVictims"/>), reported as any eviction; a policy without the capability, the last
/// tier, pinned blocks, a read in flight and <see cref="TieredKvStore.Flush"/> keep their old behaviour
/// (docs/architecture.md, "Known-dead victims").
/// </summary>
public sealed class DeadVictimTests : IDisposable
{
    private const long DeadSession = 7;
    private readonly TempDirectory _temp = new();
    private readonly HashSet<long> _dead = [];
    private readonly List<DeadFifoPolicy> _policies = [];

    public void Dispose() => _temp.Dispose();

    private EvictionPolicy Policy(bool asStruct) => asStruct
        ? EvictionPolicy.Create("dead-fifo-struct", () => new DeadFifoStruct(Track(new DeadFifoPolicy(_dead.Contains))))
        : EvictionPolicy.Create("dead-fifo", () => Track(new DeadFifoPolicy(_dead.Contains)));

    private DeadFifoPolicy Track(DeadFifoPolicy policy)
    {
        _policies.Add(policy);
        return policy;
    }

    private static TieredKvStore Store(EvictionPolicy policy, bool drop = true, params int[] capacities)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, DropDeadVictims = drop };
        for (int i = 0; i < capacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), capacities[i]) { Policy = policy });
        }

        return new TieredKvStore(options);
    }

    private static void Put(TieredKvStore store, int i, long session) =>
        Assert.Equal(PutResult.Stored, store.Put(Key(i), BlockKey.Empty, Payload(i), new BlockContext(0, session)));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_victim_known_dead_leaves_the_store_and_a_live_one_moves_down(bool asStruct)
    {
        _dead.Add(DeadSession);
        using TieredKvStore store = Store(Policy(asStruct), drop: true, 2, 8);
        var sink = new RecordingSink();
        store.EventSink = sink;
        Put(store, 0, DeadSession);
        Put(store, 1, DeadSession);
        Put(store, 2, 1); // evicts 0: dead
        Put(store, 3, 1); // evicts 1: dead
        Put(store, 4, 1); // evicts 2: live, demoted

        Assert.Equal((-1, -1, 1), (store.TierOf(Key(0)), store.TierOf(Key(1)), store.TierOf(Key(2))));
        Assert.Contains("-0@0", sink.Log);
        Assert.DoesNotContain("+0@1", sink.Log);
        Assert.Contains("+2@1", sink.Log);
        TierStatistics top = store.GetStatistics().Tiers[0];
        TierStatistics lower = store.GetStatistics().Tiers[1];
        Assert.Equal((2, 2, 1), (top.DeadDrops, top.Evictions, top.Demotions));
        Assert.Equal(128, lower.BytesWritten); // only block 2 was written below
        Assert.Equal(0, _policies[1].Asked); // the last tier's victims leave anyway: its policy is not asked
    }

    [Fact]
    public void With_the_drop_off_every_victim_moves_down_as_before()
    {
        _dead.Add(DeadSession);
        using TieredKvStore store = Store(Policy(asStruct: true), drop: false, 2, 8);
        for (int i = 0; i < 4; i++)
        {
            Put(store, i, DeadSession);
        }

        Assert.Equal((1, 1), (store.TierOf(Key(0)), store.TierOf(Key(1))));
        TierStatistics top = store.GetStatistics().Tiers[0];
        Assert.Equal((0, 0, 2), (top.DeadDrops, top.Evictions, top.Demotions));
        Assert.Equal(0, _policies[0].Asked);
    }

    [Fact]
    public void A_policy_without_the_capability_demotes_a_closed_sessions_blocks_as_before()
    {
        using TieredKvStore store = Store(EvictionPolicy.Lru, drop: true, 2, 8);
        Put(store, 0, DeadSession);
        Put(store, 1, DeadSession);
        store.Hint(DeadSession, SessionHint.Closed);
        Put(store, 2, 1);
        Put(store, 3, 1);

        Assert.Equal((1, 1), (store.TierOf(Key(0)), store.TierOf(Key(1))));
        Assert.Equal((0L, 2L), (store.GetStatistics().Tiers[0].DeadDrops, store.GetStatistics().Tiers[0].Demotions));
    }

    [Fact]
    public void A_pinned_dead_block_stays_where_it_is()
    {
        _dead.Add(DeadSession);
        using TieredKvStore store = Store(Policy(asStruct: true), drop: true, 2, 8);
        Put(store, 0, DeadSession);
        Assert.True(store.Pin(Key(0)));
        for (int i = 1; i < 6; i++)
        {
            Put(store, i, DeadSession);
        }

        Assert.Equal(0, store.TierOf(Key(0)));
        Assert.True(store.Unpin(Key(0)));
        Put(store, 6, 1);
        Put(store, 7, 1);
        Assert.Equal(-1, store.TierOf(Key(0))); // unpinned, it is a dead victim like the others
    }

    [Fact]
    public async Task A_dead_block_dropped_while_its_read_is_in_flight_is_served_or_missed_never_torn()
    {
        // Block 0 lies in the middle tier, an awaitable device; its read waits at the gate while its session dies and
        // puts push it out of that tier: it is dropped (not demoted to the bottom), its slot freed when the read ends.
        var middle = new AwaitableDevice(2, TinyLayout.BytesPerBlock);
        EvictionPolicy policy = Policy(asStruct: true);
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), 2) { Policy = policy });
        options.Tiers.Add(new TierOptions(Profile("middle", TierKind.Flash), 2) { Policy = policy, DeviceFactory = (_, _) => middle });
        options.Tiers.Add(new TierOptions(Profile("bottom"), 8) { Policy = policy });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 3; i++)
        {
            Put(store, i, DeadSession);
        }

        Assert.Equal(1, store.TierOf(Key(0)));
        middle.Close();
        var buffer = new byte[128];
        ValueTask<BlockRead> pending = store.TryGetAsync(Key(0), buffer);
        WaitFor(() => middle.Pending == 1);
        _dead.Add(DeadSession);
        for (int i = 3; i < 7; i++)
        {
            Put(store, i, 1);
        }

        Assert.Equal(-1, store.TierOf(Key(0)));
        middle.Open();
        BlockRead read = await pending;
        if (read.Found)
        {
            Assert.Equal(Payload(0), buffer);
        }

        Assert.Equal(-1, store.TierOf(Key(0)));
        Assert.True(store.GetStatistics().Tiers[1].DeadDrops >= 1);
        Assert.Empty(middle.Violations);
        for (int i = 7; i < 12; i++)
        {
            Put(store, i, 1); // the freed slot is usable again
        }

        Assert.Empty(middle.Violations);
    }

    [Fact]
    public void Flush_keeps_a_dead_block_it_can_write_down()
    {
        // A flush is the caller's request to keep what memory holds: known-dead blocks are written to flash too (its
        // own policy ranks them there), not dropped.
        _dead.Add(DeadSession);
        EvictionPolicy policy = Policy(asStruct: true);
        var options = new KvStoreOptions { Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(Profile("top"), 4) { Policy = policy });
        options.Tiers.Add(new TierOptions(Profile("flash", TierKind.Flash), 8)
        {
            Policy = policy,
            Directory = _temp.Sub("flash"),
            FlashRecoveryVerificationBudget = PatientFlash.Budget,
        });
        using var store = new TieredKvStore(options);
        Put(store, 0, DeadSession);
        Put(store, 1, 1);
        store.Flush();

        Assert.Equal((1, 1), (store.TierOf(Key(0)), store.TierOf(Key(1))));
        Assert.Equal(0, store.GetStatistics().Tiers[0].DeadDrops);
    }

    /// <summary>Records every report as text.</summary>
    private sealed class RecordingSink : IBlockEventSink
    {
        public List<string> Log { get; } = [];

        public void OnStored(in BlockKey key, in BlockKey parent, int tier) => Log.Add($"+{key.Low - 1}@{tier}");

        public void OnRemoved(in BlockKey key, int tier) => Log.Add($"-{key.Low - 1}@{tier}");

        public void OnCleared() => Log.Add("clear");
    }
}
