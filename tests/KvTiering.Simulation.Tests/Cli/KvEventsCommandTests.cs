using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KvTiering.Events;
using KvTiering.KvEvents;
using KvTiering.Testing;
using NetMQ;
using NetMQ.Sockets;
using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary><c>kvtier hash --scheme vllm</c> and <c>kvtier simulate --kv-events</c>.</summary>
public sealed partial class KvEventsCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hash_PrintsTheKeySpecVectors_OneLinePerFullBlock()
    {
        (int rc, string output, string errors) = Kvtier("hash", "--scheme", "vllm", "--block-size", "4", "--seed", "42",
            "--tokens", "100000,23,0,65535,70000,1,2,3,9", "--salt", "tenant-a", "--lora", "sql-adapter");
        Assert.True(rc == 0, errors);
        Assert.Equal(
            "827d8eac70869638f0737d1a3a18d06dea577e987c0799283eab2be80654638e 4515751326907655054\n" +
            "437675fadce6798a9bb4a115b9f25198552aaf70ed98dcf359af41cb666f7fee 6462456332152700910\n",
            output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Hash_FewerTokensThanABlock_SaysWhyNothingIsPrinted()
    {
        (int rc, string output, string errors) = Kvtier("hash", "--scheme", "vllm", "--block-size", "16", "--seed", "0", "--tokens", "1,2,3");
        Assert.Equal(0, rc);
        Assert.Equal("", output);
        Assert.Contains("3 tokens make no full block of 16", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--scheme", "xxh3", "'xxh3' is not known")]
    [InlineData("--tokens", "1,two", "Token 2 of --tokens is 'two'")]
    [InlineData("--block-size", "0", "--block-size must be positive; got 0")]
    public void Hash_BadInput_IsOneClearLine(string option, string value, string message)
    {
        List<string> args = ["hash", "--seed", "0", "--tokens", "1,2,3,4", "--block-size", "4"];
        int at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        (int rc, _, string errors) = Kvtier([.. args]);
        Assert.Equal(2, rc);
        Assert.Contains(message, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_KvEvents_PublishesTheReplayToASubscriberStartedAfterIt()
    {
        string trace = _dir.File("trace.jsonl");
        File.WriteAllLines(trace,
        [
            "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}",
            "{\"timestamp\": 1000, \"input_length\": 1536, \"output_length\": 10, \"hash_ids\": [3, 4, 5]}",
        ]);
        // An ephemeral port the replay binds itself and logs (a port found free first could be taken meanwhile).
        var stderr = new WatchedWriter();
        Task<int> run = Task.Run(() => KvTiering.Cli.Cli.Run(["simulate", "--trace", trace, "--format", "mooncake", "--no-cache",
            "--policy", "lru", "--capacity", "2", "--kv-events", "tcp://127.0.0.1:*"], new StringWriter(), stderr));
        string endpoint = stderr.WaitFor(Listening(), TimeSpan.FromSeconds(60)).Groups[1].Value;
        Thread.Sleep(300); // simulate is up and waiting for its first subscriber
        using var sub = new SubscriberSocket();
        sub.Connect(endpoint);
        sub.Subscribe("");
        var events = new List<VllmKvEvent>();
        var message = new NetMQMessage();
        // Receive until the replay has ended and every expected event came, or 60 s passed: on a loaded machine the
        // last batches may still be on the wire when the run returns.
        long deadline = Environment.TickCount64 + 60_000;
        while (Environment.TickCount64 < deadline && !(run.IsCompleted && Count(events, KvEventKind.Stored) >= 5 && Count(events, KvEventKind.Removed) >= 3))
        {
            if (sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref message))
            {
                events.AddRange(VllmWireFormat.Decode(message[2].ToByteArray()).Events);
            }
        }

        int rc = await run;
        string errors = stderr.ToString();
        Assert.True(rc == 0, errors);
        Assert.Equal(KvEventKind.AllCleared, events[0].Kind); // nothing was lost before the subscriber came
        // Five blocks offered into a 2-block tier: five stored, three evicted.
        Assert.Equal(5, Count(events, KvEventKind.Stored));
        Assert.Equal(3, Count(events, KvEventKind.Removed));
        Assert.All(events.Where(e => e.Kind != KvEventKind.AllCleared), e => Assert.Equal(KvEventMedium.Cpu, e.Medium));
        Assert.Contains(", 0 dropped", errors, StringComparison.Ordinal);
    }

    private static int Count(List<VllmKvEvent> events, KvEventKind kind) =>
        events.Where(e => e.Kind == kind).Sum(e => e.BlockHashes.Length);

    [Fact]
    public void Simulate_KvEvents_RefusesSeveralRunsAndNonEndpoints()
    {
        (int rc, _, string errors) = Kvtier("simulate", "--policy", "lru,fifo", "--capacity", "2", "--kv-events", "tcp://127.0.0.1:1", "--no-cache");
        Assert.Equal(2, rc);
        Assert.Contains("publishes one replay; this command line makes 2 runs", errors, StringComparison.Ordinal);
        (rc, _, errors) = Kvtier("simulate", "--policy", "lru", "--capacity", "2", "--kv-events", "localhost:5557", "--no-cache");
        Assert.Equal(2, rc);
        Assert.Contains("got 'localhost:5557'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_KvEvents_AnUnknownProtocolIsAUsageError()
    {
        (int rc, _, string errors) = Kvtier("simulate", "--policy", "lru", "--capacity", "2", "--kv-events", "foo://bar", "--no-cache");
        Assert.Equal(2, rc);
        Assert.Contains("tcp:// or ipc:// endpoint", errors, StringComparison.Ordinal);
        Assert.Contains("got 'foo://bar'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_KvEvents_AnEndpointInUseFailsTheRunWithOneLineNamingIt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string endpoint = $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        (int rc, _, string errors) = Kvtier("simulate", "--policy", "lru", "--capacity", "2", "--kv-events", endpoint, "--no-cache", "--quiet");
        Assert.Equal(1, rc);
        Assert.Contains($"Cannot publish KV events on '{endpoint}'", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", errors, StringComparison.Ordinal); // one line, no stack trace
    }

    [GeneratedRegex(@"^kv-events: listening on (tcp://\S+)")]
    private static partial Regex Listening();
}
