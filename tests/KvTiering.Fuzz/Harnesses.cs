namespace KvTiering.Fuzz;

/// <summary>Every AFL target by name, and where each writes its scratch files.</summary>
internal static class Harnesses
{
    /// <summary>A folder of this process's own for harnesses that go through files (flash file, trace readers).</summary>
    public static readonly string Work = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), $"kvt-afl-{Environment.ProcessId}")).FullName;

    public static readonly Dictionary<string, Harness> All = new(StringComparer.Ordinal)
    {
        ["flash-file"] = new(FlashFileHarness.Run, FlashFileHarness.Seeds),
        ["mooncake"] = new(TraceHarnesses.Mooncake, TraceHarnesses.MooncakeSeeds),
        ["weka"] = new(TraceHarnesses.Weka, TraceHarnesses.WekaSeeds),
        ["bailian"] = new(TraceHarnesses.Bailian, TraceHarnesses.BailianSeeds),
        ["libcachesim"] = new(TraceHarnesses.LibCacheSim, TraceHarnesses.LibCacheSimSeeds),
        ["transfer-receiver"] = new(TransferHarnesses.Receiver, TransferHarnesses.ReceiverSeeds),
        ["transfer-sender"] = new(TransferHarnesses.Sender, TransferHarnesses.SenderSeeds),
        ["redis-value"] = new(RedisValueHarness.Run, RedisValueHarness.Seeds),
        ["configuration"] = new(ConfigurationHarness.Run, ConfigurationHarness.Seeds),
    };

    /// <summary>Writes every target's seeds to <paramref name="dir"/>/&lt;target&gt;/.</summary>
    public static void WriteSeeds(string dir)
    {
        foreach ((string target, Harness harness) in All)
        {
            string folder = Directory.CreateDirectory(Path.Combine(dir, target)).FullName;
            foreach ((string name, byte[] bytes) in harness.Seeds())
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            }
        }
    }

    /// <summary>An empty scratch folder under <see cref="Work"/>.</summary>
    public static string Scratch(string name)
    {
        string dir = Path.Combine(Work, name);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return Directory.CreateDirectory(dir).FullName;
    }
}
