using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class AnonymousShadowPairTests
{
    [Theory]
    [InlineData(4u, 4u)]
    [InlineData(4u, 2u)] // prepared for another rate: the restart builds its own
    public void A_prepared_restart_answers_every_reference_as_a_fresh_one(uint prepared, uint restarted)
    {
        var options = AgentPolicyOptions.Default with { AnonymousSelfShadow = false };
        var gate = new RequestSizeGate(4_096, options.AnonymousGateRatio);
        var plain = new AnonymousShadowPair(4_096, options, gate, rate: 1);
        var ready = new AnonymousShadowPair(4_096, options, gate, rate: 1);
        ready.Prepare(prepared);
        var rng = new Random(20);
        bool useFifo = true;
        for (int request = 0; request < 3_000; request++)
        {
            if (request == 500)
            {
                plain.Restart(restarted, scaled: true);
                ready.Restart(restarted, scaled: true);
            }

            // Prefix-chained requests: a popular head (shared prefixes), then a tail of mostly new blocks.
            int length = 1 + rng.Next(24);
            ulong head = (ulong)rng.Next(rng.Next(2) == 0 ? 40 : 4_000);
            for (int depth = 0; depth < length; depth++)
            {
                var key = new BlockKey((head * 64) + (ulong)depth + 1, depth < 4 ? 7UL : (ulong)rng.Next(3));
                gate.Reference(depth);
                bool switches = plain.Reference(key, depth, useFifo, hit: false);
                Assert.Equal(switches, ready.Reference(key, depth, useFifo, hit: false));
                Assert.Equal(plain.ArcHits, ready.ArcHits);
                Assert.Equal(plain.FifoHits, ready.FifoHits);
                useFifo ^= switches;
            }
        }

        Assert.True(plain.ArcHits > 0 && plain.FifoHits > 0);
    }

    /// <summary>
    /// With the order in charge as its own shadow, fed the hits its shadow would have had, the pair decides as the two
    /// shadows do up to and including the first switch; there the idle shadow takes the pool's count and from then on
    /// both shadows replay (the pool's hits no longer count).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_order_in_charge_fed_its_shadows_hits_switches_where_two_shadows_do(bool startWithFifo)
    {
        var options = AgentPolicyOptions.Default;
        const int capacity = 256;
        var gate = new RequestSizeGate(capacity, options.AnonymousGateRatio);
        var both = new AnonymousShadowPair(capacity, options with { AnonymousSelfShadow = false }, gate, rate: 1);
        var self = new AnonymousShadowPair(capacity, options, gate, rate: 1) { SelfShadow = true };
        // Stands for the pool's order in charge: the shadow the self pair does not replay.
        AnonymousShadow inCharge = startWithFifo
            ? new S3FifoShadow(capacity, options.AnonymousSmallQueueCap, gate)
            : new ArcShadow(capacity, !options.AnonymousShadowRealSteps);
        var rng = new Random(18);
        int switchedAt = -1;
        int references = 0;
        for (int request = 0; request < 20_000 && switchedAt < 0; request++)
        {
            // Phases that favour one order, then the other: a looping working set a bit over the tier, then popular heads.
            bool loop = (request / 2_000) % 2 == (startWithFifo ? 0 : 1);
            int length = 1 + rng.Next(16);
            ulong head = loop ? (ulong)(request % 24) : (ulong)rng.Next(rng.Next(4) == 0 ? 8 : 2_000);
            for (int depth = 0; depth < length; depth++)
            {
                var key = new BlockKey((head * 64) + (ulong)depth + 1, loop ? 9UL : 7UL);
                gate.Reference(depth);
                bool hit = inCharge.Reference(key, depth);
                bool switches = both.Reference(key, depth, startWithFifo, hit: false);
                Assert.Equal(switches, self.Reference(key, depth, startWithFifo, hit));
                references++;
                if (switches)
                {
                    // The handover: each order's count carries on, whoever keeps it now.
                    Assert.Equal(both.ArcHits, self.ArcHits);
                    Assert.Equal(both.FifoHits, self.FifoHits);
                    switchedAt = references;
                    break;
                }

                Assert.Equal(both.ArcHits, self.ArcHits);
                Assert.Equal(both.FifoHits, self.FifoHits);
            }
        }

        Assert.True(switchedAt > 0, "the phases should make the order not in charge take over");

        // From the switch both shadows replay again, the idle one resuming with the pool's count, so the pair answers as
        // the two-shadow pair would with that shadow's stale blocks: its count decays and moves with its own hits.
        Assert.False(self.SelfShadow);
        bool nowFifo = !startWithFifo;
        double before = nowFifo ? self.FifoHits : self.ArcHits;
        self.Reference(new BlockKey(1UL << 40, 3), 0, nowFifo, hit: true);
        double keep = 1 - (1.0 / (16.0 * capacity));
        Assert.Equal(before * keep, nowFifo ? self.FifoHits : self.ArcHits, 12);
    }
}
