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
        var options = AgentPolicyOptions.Default;
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
                bool switches = plain.Reference(key, depth, useFifo);
                Assert.Equal(switches, ready.Reference(key, depth, useFifo));
                Assert.Equal(plain.ArcHits, ready.ArcHits);
                Assert.Equal(plain.FifoHits, ready.FifoHits);
                useFifo ^= switches;
            }
        }

        Assert.True(plain.ArcHits > 0 && plain.FifoHits > 0);
    }
}
