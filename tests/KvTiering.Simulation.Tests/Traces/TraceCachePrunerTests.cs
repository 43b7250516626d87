using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Traces;

public sealed class TraceCachePrunerTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Prune_DeletesTheLeastRecentlyUsedEntries_UntilTheRestFit()
    {
        using var dir = new TempDirectory();
        string a = Entry(dir, "a.kvtrace", 100, minutes: 1);
        string b = Entry(dir, "b.kvtrace", 100, minutes: 2);
        string c = Entry(dir, "c.kvtrace", 100, minutes: 3);
        string other = Entry(dir, "notes.txt", 1_000, minutes: 0);

        int deleted = TraceCachePruner.Prune(dir.Path, c, budgetBytes: 250);

        Assert.Equal(1, deleted);
        Assert.False(File.Exists(a));
        Assert.True(File.Exists(b));
        Assert.True(File.Exists(c));
        Assert.True(File.Exists(other)); // not the cache's file: never touched, never counted
    }

    [Fact]
    public void Prune_KeepsTheEntryJustWritten_EvenWhenItIsOldestOrAloneOverBudget()
    {
        using var dir = new TempDirectory();
        string kept = Entry(dir, "kept.kvtrace", 500, minutes: 1);
        string newer = Entry(dir, "newer.kvtrace", 100, minutes: 2);

        TraceCachePruner.Prune(dir.Path, kept, budgetBytes: 200);

        Assert.True(File.Exists(kept));
        Assert.False(File.Exists(newer));
    }

    [Fact]
    public void Prune_RemovesOnlyTempFilesAWriterLeftOverADayAgo()
    {
        using var dir = new TempDirectory();
        string stale = Entry(dir, "x.kvtrace.12.ab.tmp", 10, minutes: 0);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));
        string fresh = dir.Write("x.kvtrace.13.cd.tmp", "partial"); // a save in progress in another process

        TraceCachePruner.Prune(dir.Path, dir.File("x.kvtrace"), budgetBytes: long.MaxValue);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void Load_ABudgetTooSmallForTwoTraces_KeepsTheOneUsedLast()
    {
        using var dir = new TempDirectory();
        string first = dir.Write("first.jsonl", Lines(10));
        string second = dir.Write("second.jsonl", Lines(20));
        string third = dir.Write("third.jsonl", Lines(30));
        string cache = dir.File("cache");
        var unbounded = new TraceLoadOptions { CacheDirectory = cache };

        TraceLoader.Load(first, TraceFormat.Mooncake, unbounded, out _);
        string firstEntry = Assert.Single(Directory.GetFiles(cache, "*.kvtrace"));
        TraceLoader.Load(second, TraceFormat.Mooncake, unbounded, out _);
        string secondEntry = Assert.Single(Directory.GetFiles(cache, "*.kvtrace"), f => f != firstEntry);
        File.SetLastWriteTimeUtc(firstEntry, Start); // the first is the older entry until the hit below
        File.SetLastWriteTimeUtc(secondEntry, Start.AddMinutes(1));

        TraceLoader.Load(first, TraceFormat.Mooncake, unbounded, out TraceSource hit); // a hit marks it used
        long oneEntry = Math.Max(new FileInfo(firstEntry).Length, new FileInfo(secondEntry).Length);
        var bounded = unbounded with { CacheBudgetBytes = (2 * oneEntry) + (oneEntry / 2) };
        TraceLoader.Load(third, TraceFormat.Mooncake, bounded, out _);

        Assert.Equal(TraceSource.Cache, hit);
        Assert.False(File.Exists(secondEntry));
        Assert.Equal(2, Directory.GetFiles(cache, "*.kvtrace").Length);
        TraceLoader.Load(first, TraceFormat.Mooncake, bounded, out TraceSource firstAgain);
        TraceLoader.Load(third, TraceFormat.Mooncake, bounded, out TraceSource thirdAgain);
        Assert.Equal(TraceSource.Cache, firstAgain);
        Assert.Equal(TraceSource.Cache, thirdAgain);
    }

    [Fact]
    public void Load_NegativeBudget_IsRefusedByName()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("t.jsonl", Lines(10));
        var options = new TraceLoadOptions { CacheDirectory = dir.File("cache"), CacheBudgetBytes = -5 };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TraceLoader.Load(file, TraceFormat.Mooncake, options, out _));

        Assert.Contains("CacheBudgetBytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("-5", e.Message, StringComparison.Ordinal);
    }

    private static string Entry(TempDirectory dir, string name, int bytes, int minutes)
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, new byte[bytes]);
        File.SetLastWriteTimeUtc(path, Start.AddMinutes(minutes));
        return path;
    }

    private static string Lines(int firstId) =>
        $$"""
        {"timestamp": 0, "input_length": 1500, "output_length": 10, "hash_ids": [{{firstId}}, {{firstId + 1}}, {{firstId + 2}}]}
        {"timestamp": 1500, "input_length": 1600, "output_length": 20, "hash_ids": [{{firstId}}, {{firstId + 1}}, {{firstId + 3}}]}
        """;
}
