using KvTiering.Events;

namespace KvTiering.KvEvents.Tests;

public sealed class ClusterPrefixIndexFleetTests
{
    private static VllmEventBatch Batch(params VllmKvEvent[] events) => new(0, events);

    private static VllmKvEvent Stored(string? medium, ulong? parent, params ulong[] hashes) =>
        new(KvEventKind.Stored, hashes, parent, [], 16, null, medium);

    private static VllmKvEvent Removed(string? medium, params ulong[] hashes) => new(KvEventKind.Removed, hashes, Medium: medium);

    private static PrefixOverlap[] Match(ClusterPrefixIndex index, params ulong[] hashes)
    {
        var result = new PrefixOverlap[index.Instances.Count];
        return result[..index.Match(hashes, result)];
    }

    [Fact]
    public void ABlockInTwoTiers_CountsInTheFastest_AndStaysUntilRemovedFromBoth()
    {
        using var index = new ClusterPrefixIndex();
        int a = index.AddInstance("a");
        index.Apply(a, Batch(Stored("CPU", null, 1), Stored("GPU", null, 1)));
        Assert.Equal(new PrefixOverlap(a, 1, 1, 0, 0, 0), Match(index, 1)[0]);
        index.Apply(a, Batch(Removed("GPU", 1)));
        Assert.Equal(new PrefixOverlap(a, 1, 0, 1, 0, 0), Match(index, 1)[0]);
        index.Apply(a, Batch(Removed("CPU", 1)));
        Assert.Empty(Match(index, 1));
        Assert.Equal(0, index.BlockCount);
    }

    [Fact]
    public void ThousandInstances_AgreeWithABruteForceCount()
    {
        var rng = new Random(7);
        using var index = new ClusterPrefixIndex();
        const int instances = 1000, blocks = 64;
        var truth = new HashSet<ulong>[instances];
        for (int i = 0; i < instances; i++)
        {
            truth[i] = [];
            int id = index.AddInstance($"i{i}");
            int held = rng.Next(0, blocks + 1);
            ulong[] hashes = [.. Enumerable.Range(1, held).Select(h => (ulong)h)];
            index.Apply(id, Batch(Stored("GPU", null, hashes)));
            truth[i].UnionWith(hashes);
            if (held > 0 && rng.Next(3) == 0)
            {
                ulong gone = (ulong)rng.Next(1, held + 1);
                index.Apply(id, Batch(Removed("GPU", gone)));
                truth[i].Remove(gone);
            }
        }

        ulong[] prompt = [.. Enumerable.Range(1, blocks).Select(h => (ulong)h)];
        PrefixOverlap[] m = Match(index, prompt);
        var expected = Enumerable.Range(0, instances)
            .Select(i => (Instance: i, Blocks: prompt.TakeWhile(truth[i].Contains).Count()))
            .Where(x => x.Blocks > 0).OrderByDescending(x => x.Blocks).ThenBy(x => x.Instance).ToArray();
        Assert.Equal(expected, m.Select(x => (x.Instance, x.Blocks)));
        Assert.All(m, x => Assert.Equal(x.Blocks, x.GpuBlocks));
    }
}
