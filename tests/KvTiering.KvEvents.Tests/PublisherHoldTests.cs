using KvTiering.Store;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A publisher told to hold its events until the first subscriber sleeps on its XPUB socket meanwhile, instead of
/// waking every millisecond. Counted in the publisher thread's voluntary context switches (Linux's
/// <c>/proc/self/task/*/status</c>); alone in its collection, so no other test's publisher thread starts meanwhile.
/// </summary>
[Collection(nameof(PublisherHoldTests))]
[CollectionDefinition(nameof(PublisherHoldTests), DisableParallelization = true)]
public sealed class PublisherHoldTests
{
    [LinuxFact]
    public void AHoldingPublisherSleepsUntilItsFirstSubscriberAndThenPublishes()
    {
        using TieredKvStore store = TestStores.HbmOverDram(4, 8);
        TestStores.PutChain(store, TestStores.Chain(2));
        HashSet<int> before = PublisherThreads();
        using var publisher = new ZmqKvEventPublisher(store, new ZmqKvEventPublisherOptions
        {
            Endpoint = "tcp://127.0.0.1:*",
            HoldUntilSubscribed = true,
        });
        int thread = Assert.Single(PublisherThreads().Except(before));
        long first = Switches(thread);
        Thread.Sleep(2_000);
        long switches = Switches(thread) - first;
        // Sleeping 1 ms at a time came to ~1,000 a second; waiting 20 ms at a time on the socket, ~50.
        Assert.True(switches < 400, $"the holding publisher's thread switched {switches} times in 2 s");
        Assert.Equal(0, publisher.BatchesPublished);

        var batches = 0;
        using var subscriber = new ZmqKvEventSubscriber(publisher.Endpoint, null, "", _ => Interlocked.Increment(ref batches), () => { });
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref batches) > 0, TimeSpan.FromSeconds(60)), "nothing published after the subscription");
    }

    /// <summary>Threads of this process named like the publisher's (the kernel keeps 15 characters of the name).</summary>
    private static HashSet<int> PublisherThreads() =>
    [
        .. Directory.GetDirectories("/proc/self/task")
            .Where(t => File.Exists(Path.Combine(t, "comm")) && ReadOrEmpty(Path.Combine(t, "comm")).Trim() == "kvtiering-kv-ev")
            .Select(t => int.Parse(Path.GetFileName(t), System.Globalization.CultureInfo.InvariantCulture)),
    ];

    private static long Switches(int thread)
    {
        string line = File.ReadAllLines($"/proc/self/task/{thread}/status").Single(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal));
        return long.Parse(line.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return ""; // the thread ended meanwhile
        }
    }
}

/// <summary>A fact that needs Linux's /proc.</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "reads /proc/self/task";
        }
    }
}
