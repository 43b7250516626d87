using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;

namespace KvTiering.Tests.Store;

public sealed class FlashTierOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The open flags of every descriptor this process holds on files under <paramref name="directory"/>.</summary>
    private static List<int> OpenFlagsUnder(string directory)
    {
        var flags = new List<int>();
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = new FileInfo(fd).LinkTarget;
            if (target is null || !target.StartsWith(directory, StringComparison.Ordinal))
            {
                continue;
            }

            string info = $"/proc/self/fdinfo/{Path.GetFileName(fd)}";
            string line = File.ReadLines(info).Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
            flags.Add(Convert.ToInt32(line["flags:".Length..].Trim(), 8));
        }

        return flags;
    }

    private TieredKvStore Store(string directory, bool directIO, int queueDepth)
    {
        var options = new KvStoreOptions { Layout = StoreTestKit.TinyLayout };
        options.Tiers.Add(new TierOptions(StoreTestKit.Profile("dram"), 2) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(StoreTestKit.Profile("flash", TierKind.Flash), 16)
        {
            Directory = directory,
            DirectIO = directIO,
            QueueDepth = queueDepth,
        });
        return new TieredKvStore(options);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 4)]
    public void TierOptions_ChooseDirectOrBufferedIO_AndBlocksStillDemoteAndComeBack(bool directIO, int queueDepth)
    {
        string directory = _temp.Sub("flash");
        using TieredKvStore store = Store(directory, directIO, queueDepth);
        List<int> flags = OpenFlagsUnder(directory);
        Assert.NotEmpty(flags);
        Assert.All(flags, f => Assert.Equal(directIO, (f & DirectFile.DirectFlag) != 0));
        for (int i = 0; i < 6; i++)
        {
            store.Put(StoreTestKit.Key(i), BlockKey.Empty, StoreTestKit.Payload(i));
        }

        var buffer = new byte[128];
        Assert.True(store.TryGet(StoreTestKit.Key(0), buffer, out int written, out int tier)); // demoted to flash, read back
        Assert.Equal(1, tier);
        Assert.Equal(StoreTestKit.Payload(0), buffer[..written]);
    }

    [Fact]
    public void QueueDepth_MustBePositive_AndTheErrorNamesIt()
    {
        var options = new TierOptions(StoreTestKit.Profile("flash", TierKind.Flash), 16);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.QueueDepth = 0);
        Assert.Equal(nameof(TierOptions.QueueDepth), ex.ParamName);
    }
}
