using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>The write-behind worker at background priority (<see cref="KvStoreOptions.WriteBehindInBackground"/>).</summary>
public sealed class BackgroundPriorityTests
{
    [Fact]
    public void Lowering_a_thread_sets_its_own_nice_value_to_19_and_no_other_thread_s()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.NotNull(BackgroundPriority.TryLowerCurrentThread());
            return;
        }

        int before = Nice("thread-self");
        string? reason = "not run";
        int lowered = -1;
        var thread = new Thread(() =>
        {
            reason = BackgroundPriority.TryLowerCurrentThread();
            lowered = Nice("thread-self");
        });
        thread.Start();
        thread.Join();

        Assert.Null(reason);
        Assert.Equal(19, lowered);
        Assert.Equal(before, Nice("thread-self"));
    }

    [Fact]
    public void The_option_lowers_the_write_behind_worker_and_blocks_still_land()
    {
        var slow = new GatedDevice(16, 128);
        var options = new KvStoreOptions { Layout = TinyLayout, WriteBehindBlocks = 4, WriteBehindInBackground = true };
        options.Tiers.Add(new TierOptions(Profile("dram"), 2) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("slow", KvTiering.Tiers.TierKind.Flash), slow.SlotCount)
        {
            Policy = EvictionPolicy.Lru,
            DeviceFactory = (_, _) => slow,
            WriteBehind = true,
        });
        using var store = new TieredKvStore(options);
        for (int i = 0; i < 4; i++)
        {
            store.Put(Key(i), BlockKey.Empty, Payload(i));
        }

        if (OperatingSystem.IsLinux())
        {
            WaitFor(() => WorkerNices().Contains(19), "a write-behind worker at nice 19");
        }

        store.Flush();
        var buffer = new byte[128];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(store.TryGet(Key(i), buffer, out int written));
            Assert.Equal(Payload(i), buffer.AsSpan(0, written).ToArray());
        }
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
