using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The public contract for a user-written policy that asks for reference bits.</summary>
public sealed class ReferenceBitsTests
{
    [Fact]
    public void Hits_set_the_bit_and_never_call_OnAccess_locked_or_lock_free()
    {
        var probe = new Probe();
        var policy = EvictionPolicy.Create("probe", () => new BitPolicy(probe));
        using TieredKvStore store = Create(policy, 2, 2);
        store.Put(Key(1), BlockKey.Empty, Payload(1));
        store.Put(Key(2), BlockKey.Empty, Payload(2));
        TierView top = probe.Views[0];
        var buffer = new byte[128];

        Assert.False(top.IsReferenced(Slot(store, probe, 1)));
        Assert.True(store.TryGet(Key(1), buffer, out _)); // lock-free hit
        Assert.True(top.IsReferenced(Slot(store, probe, 1)));
        Assert.False(top.IsReferenced(Slot(store, probe, 2)));

        Assert.Equal(PutResult.AlreadyPresent, store.Put(Key(2), BlockKey.Empty, Payload(2))); // offered again: lock-free too
        Assert.True(top.IsReferenced(Slot(store, probe, 2)));

        top.ClearReferenced(Slot(store, probe, 1));
        Assert.False(top.IsReferenced(Slot(store, probe, 1)));
        Assert.Equal(0, probe.Accesses);
        Assert.Equal(2, store.GetStatistics().Tiers[0].Hits); // the read and the second offer
    }

    [Fact]
    public void A_block_enters_a_recycled_slot_with_its_bit_clear()
    {
        var probe = new Probe();
        using TieredKvStore store = CreateMetadata(EvictionPolicy.Create("probe", () => new BitPolicy(probe)), 1);
        store.Put(Key(1), BlockKey.Empty, default);
        Assert.True(store.TryGet(Key(1), default, out _));
        Assert.True(probe.Views[0].IsReferenced(0));

        store.Put(Key(2), BlockKey.Empty, default); // evicts 1; 2 takes slot 0
        Assert.True(store.Contains(Key(2)));
        Assert.False(probe.Views[0].IsReferenced(0));
    }

    [Fact]
    public void A_tier_without_reference_bits_reports_none_and_keeps_calling_OnAccess()
    {
        var probe = new Probe();
        using TieredKvStore store = CreateMetadata(EvictionPolicy.Create("probe", () => new BitPolicy(probe, useBits: false)), 2);
        store.Put(Key(1), BlockKey.Empty, default);
        Assert.True(store.TryGet(Key(1), default, out _));
        store.GetStatistics(); // drains the queued lock-free hit to the policy
        Assert.Equal(1, probe.Accesses);
        Assert.False(probe.Views[0].IsReferenced(0));
    }

    private static int Slot(TieredKvStore store, Probe probe, int block)
    {
        TierView view = probe.Views[0];
        for (int h = 0; h < view.Capacity; h++)
        {
            if (probe.Resident[h] && view.Key(h).Equals(Key(block)))
            {
                return h;
            }
        }

        Assert.Fail($"block {block} is not in the top tier of {store}");
        return -1;
    }

    private sealed class Probe
    {
        public List<TierView> Views { get; } = [];

        public bool[] Resident { get; } = new bool[64];

        public int Accesses { get; set; }
    }

    /// <summary>FIFO that counts OnAccess calls; asks for reference bits unless told not to.</summary>
    private sealed class BitPolicy(Probe probe, bool useBits = true) : IEvictionPolicy
    {
        private readonly Queue<int> _order = new();
        private TierView? _view;

        private bool IsTop => ReferenceEquals(_view, probe.Views[0]);

        public void Attach(TierView tier)
        {
            _view = tier;
            probe.Views.Add(tier);
            if (useBits)
            {
                tier.UseReferenceBits();
            }
        }

        public bool Admit(in BlockInfo block) => true;

        public void OnInsert(int handle)
        {
            _order.Enqueue(handle);
            if (IsTop)
            {
                probe.Resident[handle] = true;
            }
        }

        public void OnAccess(int handle) => probe.Accesses++;

        public void OnRemove(int handle)
        {
            if (IsTop)
            {
                probe.Resident[handle] = false;
            }

            var rest = _order.Where(h => h != handle).ToArray();
            _order.Clear();
            foreach (int h in rest)
            {
                _order.Enqueue(h);
            }
        }

        public int SelectVictim() => _order.Count > 0 ? _order.Peek() : -1;

        public void OnSessionHint(long session, SessionHint hint)
        {
        }
    }
}
