using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>The write-behind worker at a lower priority (<see cref="KvStoreOptions.WriteBehindNice"/>).</summary>
public sealed class BackgroundPriorityTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(19)]
    public void Lowering_a_thread_sets_its_own_nice_value_and_no_other_thread_s(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.NotNull(BackgroundPriority.TryLowerCurrentThread(nice));
            return;
        }

        int before = Nice("thread-self");
        string? reason = "not run";
        int lowered = -1;
        var thread = new Thread(() =>
        {
            reason = BackgroundPriority.TryLowerCurrentThread(nice);
            lowered = Nice("thread-self");
        });
        thread.Start();
        thread.Join();

        Assert.Null(reason);
        Assert.Equal(nice, lowered);
        Assert.Equal(before, Nice("thread-self"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(20)]
    public void A_nice_value_outside_1_to_19_is_refused_by_name(int nice)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => BackgroundPriority.TryLowerCurrentThread(nice));
        Assert.Contains(nice.ToString(CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void The_option_refuses_a_nice_value_outside_0_to_19_by_name(int nice)
    {
        var options = new KvStoreOptions();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => options.WriteBehindNice = nice);
        Assert.Equal(nameof(KvStoreOptions.WriteBehindNice), ex.ParamName);
        Assert.Contains($"WriteBehindNice {nice}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_nice_0_the_worker_keeps_the_priority_of_the_thread_that_built_the_store()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // A new thread inherits its creator's nice value on Linux: build the store on a thread at nice 3 (a value no
        // other test uses), so this store's worker is the one at 3 unless the option moved it.
        TieredKvStore? store = null;
        string? reason = "not run";
        var builder = new Thread(() =>
        {
            reason = BackgroundPriority.TryLowerCurrentThread(3);
            store = BuildAndFill(new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4, WriteBehindNice = 0 }, out _);
        });
        builder.Start();
        builder.Join();
        using (store)
        {
            Assert.Null(reason);
            WaitFor(() => WorkerNices().Contains(3), "the write-behind worker at its creator's nice 3");
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(19)]
    public void The_option_lowers_the_write_behind_worker_and_blocks_still_land(int nice)
    {
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4, WriteBehindNice = nice };
        using var store = BuildAndFill(options, out int blocks);
        if (OperatingSystem.IsLinux())
        {
            WaitFor(() => WorkerNices().Contains(nice), $"a write-behind worker at nice {nice}");
        }

        store.Flush();
        var buffer = new byte[128];
        for (int i = 0; i < blocks; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written));
            Assert.Equal(Payload(i), buffer.AsSpan(0, written).ToArray());
        }
    }

    /// <summary>A DRAM tier of 2 over a write-behind tier; 4 blocks put, so 2 demote through the worker.</summary>
    private static TieredKvStore BuildAndFill(KvStoreOptions options, out int blocks)
    {
        var slow = new GatedDevice(16, 128);
        options.Tiers.Add(new TierOptions(Profile("dram"), 2) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        var store = new TieredKvStore(options);
        blocks = 4;
        for (int i = 0; i < blocks; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        return store;
    }

    /// <summary>The nice value of a thread: field 19 of /proc/.../stat, after the parenthesized command name.</summary>
    private static int Nice(string task)
    {
        string stat = File.ReadAllText($"/proc/{task}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture); // field 19 overall; fields[0] is field 3
    }

    /// <summary>
    /// The nice values of this process's write-behind workers (Linux names threads after their first 15 characters).
    /// Other tests' threads start and exit meanwhile: a thread gone between the listing and the read is skipped.
    /// </summary>
    private static List<int> WorkerNices()
    {
        var nices = new List<int>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("KvTiering write", StringComparison.Ordinal))
                {
                    nices.Add(Nice("self/task/" + Path.GetFileName(task)));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread exited after the listing.
            }
        }

        return nices;
    }
}
