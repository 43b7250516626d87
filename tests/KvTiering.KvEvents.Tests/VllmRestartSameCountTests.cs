using KvTiering.Events;
using KvTiering.Testing;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A vLLM server restarts (its sequence starts at 0 again) and, before the router reconnects, publishes exactly as many
/// batches as its previous run had: the sequence numbers line up with what the router applied, the history does not.
/// The router must forget the old blocks and learn the new ones, not take the restart for a reconnect.
/// </summary>
public sealed class VllmRestartSameCountTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void ARestartedVllmWithTheSameBatchCountIsToldApartFromAReconnect()
    {
        int[] ports = null!;
        FakeVllmPublisher vllm = StablePorts.Start(2, p =>
        {
            ports = p;
            return new FakeVllmPublisher(p);
        });
        using var index = new ClusterPrefixIndex();
        int me = index.Follow("vllm-0", vllm.Endpoint, vllm.ReplayEndpoint);
        Assert.True(vllm.WaitForSubscriber(Wait));
        vllm.Publish(0, live: true, Stored([1, 2, 3], parent: null));
        vllm.Publish(1, live: true, Stored([4], parent: 3));
        vllm.Publish(2, live: true, Stored([5], parent: 4));
        Expect(index, [1, 2, 3, 4, 5], 5);

        vllm.Dispose(); // the server goes down, comes back on the same ports and, before the router is back, publishes
        using var restarted = new FakeVllmPublisher(ports); // three batches of its own: sequences 0, 1, 2 again
        restarted.Publish(0, live: false, Stored([7, 8], parent: null));
        restarted.Publish(1, live: false, Stored([9], parent: 8));
        restarted.Publish(2, live: false, new VllmKvEvent(KvEventKind.Removed, [8], Medium: "GPU"));
        restarted.Flush();

        Expect(index, [7, 8, 9], 1); // what the restarted server holds: block 7 (8 was removed, so 9 is not a prefix)
        Assert.True(SpinWait.SpinUntil(() => index.HeldBy(me) == 2, Wait), $"the router holds {index.HeldBy(me)} blocks, the server 2 (7 and 9)");
        Expect(index, [1, 2, 3, 4, 5], 0); // the previous run's blocks are gone
    }

    private static VllmKvEvent Stored(ulong[] hashes, ulong? parent) =>
        new(KvEventKind.Stored, hashes, parent, [], 16, null, "GPU");

    private static void Expect(ClusterPrefixIndex index, ulong[] prompt, int blocks)
    {
        var result = new PrefixOverlap[1];
        Assert.True(SpinWait.SpinUntil(() => blocks == 0 ? index.Match(prompt, result) == 0
            : index.Match(prompt, result) == 1 && result[0].Blocks == blocks, Wait),
            $"expected {blocks} leading blocks of [{string.Join(", ", prompt)}], the index says {result[0]}");
    }
}
