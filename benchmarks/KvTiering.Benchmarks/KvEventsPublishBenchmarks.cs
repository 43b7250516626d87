// Last run (2026-12-07 07:24 UTC, main 3cc5d74, 2-core EPYC, --job short --inProcess --iterationCount 5;
// docs/benchmarks.md, "KvEventsPublishBenchmarks"): Publish=false 40.96 ms; Publish=true 385.1 ms for 1,060,205 events
// = 2.75 M events/s, 0 dropped (2026-12-04, before OfferRequest: 45.6 / 312 ms, 3.4 M events/s).

using BenchmarkDotNet.Attributes;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.KvEvents;
using KvTiering.Simulation.Traces;
using KvTiering.Store;
using KvTiering.Tiers;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.Benchmarks;

/// <summary>
/// KV events published per second by a store under a replayed trace: the Mooncake conversation trace from
/// ../shared/traces (288,500 block references) replayed into an HBM tier (2% of unique blocks) over a DRAM tier (10%),
/// with and without a <see cref="ZmqKvEventPublisher"/> (vLLM wire format over loopback TCP to a subscriber thread
/// that receives every message). One invocation replays the whole trace and then waits until every event is on the
/// wire; events/s = events per invocation (printed at cleanup) ÷ mean time of the publishing run.
/// </summary>
[MemoryDiagnoser]
public class KvEventsPublishBenchmarks
{
    private Trace _trace = null!;
    private TieredKvStore _store = null!;
    private ZmqKvEventPublisher? _publisher;
    private SubscriberSocket? _subscriber;
    private Thread? _drain;
    private volatile bool _stop;
    private long _received;
    private long _invocations;

    /// <summary>Whether a publisher is attached (false: the same replay with no subscriber, the baseline).</summary>
    [Params(false, true)]
    public bool Publish { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _trace = TraceLoader.Load(Path.Combine(BenchPaths.TraceRoot(), "mooncake", "conversation_trace.jsonl"), TraceFormat.Mooncake);
        var options = new KvStoreOptions { MetadataOnly = true };
        options.Tiers.Add(new TierOptions(Profile("hbm", TierKind.Hbm), Math.Max(1, _trace.UniqueBlocks / 50)) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(Profile("dram", TierKind.Dram), Math.Max(1, _trace.UniqueBlocks / 10)) { Policy = EvictionPolicy.Lru });
        _store = new TieredKvStore(options);
        if (!Publish)
        {
            return;
        }

        _publisher = new ZmqKvEventPublisher(_store, new ZmqKvEventPublisherOptions
        {
            Endpoint = "tcp://127.0.0.1:*",
            BlockSize = _trace.BlockTokens,
            QueueCapacity = 1 << 22,
        });
        _subscriber = new SubscriberSocket();
        _subscriber.Options.ReceiveHighWatermark = 0;
        _subscriber.Connect(_publisher.Endpoint);
        _subscriber.Subscribe("");
        _drain = new Thread(Drain) { IsBackground = true };
        _drain.Start();
        if (!_publisher.WaitForSubscriber(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("the benchmark's subscriber never subscribed");
        }
    }

    [Benchmark]
    public long ReplayTrace()
    {
        long before = _publisher?.EventsPublished ?? 0;
        var keys = new BlockKey[256];
        Span<int> prefix = stackalloc int[TieredKvStore.MaxTiers];
        for (int r = 0; r < _trace.RequestCount; r++)
        {
            ReadOnlySpan<int> ids = _trace.Blocks(r);
            if (keys.Length < ids.Length)
            {
                keys = new BlockKey[ids.Length * 2];
            }

            for (int i = 0; i < ids.Length; i++)
            {
                keys[i] = new BlockKey((ulong)ids[i] + 1, 0x4B76_5469_6572_5250UL);
            }

            _store.OfferRequest(keys.AsSpan(0, ids.Length), _trace.Session[r], prefixPerTier: prefix);
        }

        if (_publisher is not null && !_publisher.Flush(TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException("the publisher did not drain in 2 minutes");
        }

        _invocations++;
        return (_publisher?.EventsPublished ?? 0) - before;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_publisher is not null)
        {
            Console.WriteLine($"// KvEventsPublish: {_publisher.EventsPublished / Math.Max(1, _invocations):N0} events and " +
                $"{_publisher.BatchesPublished / Math.Max(1, _invocations):N0} batches per invocation, {_publisher.EventsDropped:N0} dropped, " +
                $"{Interlocked.Read(ref _received):N0} messages received over {_invocations} invocations");
            _publisher.Dispose();
            _stop = true;
            _drain!.Join();
            _subscriber!.Dispose();
        }

        _store.Dispose();
    }

    private void Drain()
    {
        var message = new NetMQMessage();
        while (!_stop)
        {
            if (_subscriber!.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref message))
            {
                Interlocked.Increment(ref _received);
            }
        }
    }

    private static TierProfile Profile(string name, TierKind kind) => new(name, kind, 1e12, 1e12, TimeSpan.Zero, 0, 0);
}
