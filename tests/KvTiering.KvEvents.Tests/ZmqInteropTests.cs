using System.Diagnostics;
using System.Text.Json;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Testing;
using KvTiering.Tiers;

namespace KvTiering.KvEvents.Tests;

public sealed class ZmqInteropTests
{
    private static TieredKvStore Store()
    {
        var options = new KvStoreOptions { MetadataOnly = true };
        options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 4) { Policy = EvictionPolicy.Lru });
        options.Tiers.Add(new TierOptions(TierProfiles.Dram, 8) { Policy = EvictionPolicy.Lru });
        return new TieredKvStore(options);
    }

    private static BlockKey[] Chain(TieredKvStore store, int session, int length)
    {
        var chain = new BlockKey[length];
        for (int i = 0; i < length; i++)
        {
            chain[i] = new BlockKey((ulong)((session * 1000) + i + 1), 77);
            store.Put(chain[i], i == 0 ? BlockKey.Empty : chain[i - 1], []);
        }

        return chain;
    }

    private static int Leading(ClusterPrefixIndex index, BlockKey[] chain)
    {
        var result = new PrefixOverlap[4];
        int n = index.Match([.. chain.Select(k => k.Low)], result);
        return n == 0 ? 0 : result[0].Blocks;
    }

    [Fact]
    public void StorePublisher_FollowedOverZeroMq_SurvivesAPublisherRestart()
    {
        using TieredKvStore store = Store();
        BlockKey[] first = Chain(store, 1, 3);
        using var index = new ClusterPrefixIndex();
        // The restart binds the same two ports: stable ones, which nothing bound to port 0 can take while it is down.
        int port = 0, replay = 0;
        ZmqKvEventPublisherOptions options = null!;
        var publisher = StablePorts.Start(2, ports =>
        {
            (port, replay) = (ports[0], ports[1]);
            options = new ZmqKvEventPublisherOptions { Endpoint = $"tcp://*:{port}", ReplayEndpoint = $"tcp://*:{replay}" };
            return new ZmqKvEventPublisher(store, options);
        });
        int me = index.Follow("store", $"tcp://127.0.0.1:{port}", $"tcp://127.0.0.1:{replay}");
        Assert.True(publisher.WaitForSubscriber(TimeSpan.FromSeconds(60)));
        BlockKey[] second = Chain(store, 2, 5); // demotes the first chain's blocks to DRAM
        Assert.True(SpinWait.SpinUntil(() => index.HeldBy(me) == store.Count, TimeSpan.FromSeconds(60)), $"{index.HeldBy(me)} vs {store.Count}");
        Assert.Equal(store.MatchPrefix(first).Blocks, Leading(index, first));
        Assert.Equal(5, Leading(index, second));

        publisher.Dispose(); // the server goes down; its cache changes meanwhile
        store.Remove(second[0]);
        using var restarted = new ZmqKvEventPublisher(store, options);
        Assert.True(restarted.FirstSequence > publisher.FirstSequence);
        Assert.True(restarted.WaitForSubscriber(TimeSpan.FromSeconds(60))); // the follower reconnects by itself
        Chain(store, 3, 1); // traffic resumes: the follower sees a sequence it cannot replay to, and resyncs
        Assert.True(SpinWait.SpinUntil(() => Leading(index, second) == 0 && index.HeldBy(me) == store.Count, TimeSpan.FromSeconds(60)),
            $"after restart: {Leading(index, second)} leading, {index.HeldBy(me)} held vs {store.Count}");
        Assert.Equal(store.MatchPrefix(first).Blocks, Leading(index, first));
    }

    [PythonFact]
    public void StorePublisher_IsReadByAPythonSubscriber_FieldByField()
    {
        using TieredKvStore store = Store();
        using var publisher = new ZmqKvEventPublisher(store, new ZmqKvEventPublisherOptions
        {
            Endpoint = "tcp://127.0.0.1:*",
            ReplayEndpoint = "tcp://127.0.0.1:*",
            BlockSize = 16,
            LoraName = "sql",
            CacheSalt = "tenant",
            DataParallelRank = 2,
        });
        using Process python = SystemPython.Start(PythonSubscriber, publisher.Endpoint, publisher.ReplayEndpoint!);
        Assert.True(publisher.WaitForSubscriber(TimeSpan.FromSeconds(60)));
        BlockKey[] chain = Chain(store, 1, 3);
        Chain(store, 2, 2); // demotes the first chain's first block to DRAM
        store.Remove(chain[2]);
        Assert.True(publisher.Flush(TimeSpan.FromSeconds(60)));
        python.StandardInput.WriteLine($"{publisher.FirstSequence} {publisher.BatchesPublished}");
        python.StandardInput.Close();
        Assert.True(python.WaitForExit(60_000), "python subscriber did not finish");
        string output = python.StandardOutput.ReadToEnd();
        Assert.True(python.ExitCode == 0, python.StandardError.ReadToEnd());

        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("AllBlocksCleared", events[0].GetProperty("tag").GetString()); // the snapshot, replayed from sequence 0
        JsonElement stored = events.First(e => e.GetProperty("tag").GetString() == "BlockStored");
        // The publisher may cut a chain between two batches; then its second part names the first part's last block as
        // parent. Joined, the first chain's blocks and extra keys are exactly these.
        List<JsonElement> firstChain = [.. events.Where(e => e.GetProperty("tag").GetString() == "BlockStored").TakeWhile(
            e => e.GetProperty("block_hashes").EnumerateArray().All(h => h.GetUInt64() is >= 1001UL and <= 1003UL))];
        Assert.Equal([1001UL, 1002UL, 1003UL], firstChain.SelectMany(e => e.GetProperty("block_hashes").EnumerateArray()).Select(h => h.GetUInt64()));
        Assert.Equal("[\"sql\",\"tenant\"]|[\"sql\"]|[\"sql\"]", string.Join('|', firstChain.SelectMany(e => e.GetProperty("extra_keys").EnumerateArray())
            .Select(k => k.GetRawText().Replace(" ", "", StringComparison.Ordinal))));
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("parent_block_hash").ValueKind);
        Assert.Equal(16, stored.GetProperty("block_size").GetInt32());
        Assert.Equal("GPU", stored.GetProperty("medium").GetString());
        Assert.Equal("sql", stored.GetProperty("lora_name").GetString());
        Assert.Equal(2, stored.GetProperty("rank").GetInt32());
        Assert.Contains(events, e => e.GetProperty("tag").GetString() == "BlockStored" && e.GetProperty("medium").GetString() == "CPU");
        JsonElement removed = events.Last(e => e.GetProperty("tag").GetString() == "BlockRemoved");
        Assert.Equal([1003UL], removed.GetProperty("block_hashes").EnumerateArray().Select(h => h.GetUInt64()));
        Assert.Equal("GPU", removed.GetProperty("medium").GetString());
    }

    [PythonFact]
    public void PythonPublisher_LaidOutAsVllms_IsFollowedByTheIndex_IncludingReplay()
    {
        using Process python = SystemPython.Start(PythonPublisher);
        string[] ready = python.StandardOutput.ReadLine()!.Split(' ');
        using var index = new ClusterPrefixIndex();
        int vllm = index.Follow("vllm-0", ready[0], ready[1]);
        python.StandardInput.WriteLine("go"); // batches 0-1 may be lost to the slow joiner: replay fills them
        python.StandardInput.Flush();
        Assert.Equal("published", python.StandardOutput.ReadLine());
        var result = new PrefixOverlap[2];
        // Batch 0 alone also leaves three blocks held: wait for the state after all three batches.
        Assert.True(SpinWait.SpinUntil(() => index.HeldBy(vllm) == 3 && index.Match([0xFFFF_FFFF_FFFF_FFF0], result) == 1,
            TimeSpan.FromSeconds(60)), $"held {index.HeldBy(vllm)}");
        Assert.Equal(1, index.Match([11, 12, 13, 14, 15], result));
        Assert.Equal(new PrefixOverlap(vllm, 2, 1, 1, 0, 0), result[0]); // 13 was removed; 12 lives in CPU
        Assert.Equal(1, index.Match([0xFFFF_FFFF_FFFF_FFF0, 99], result));
        python.StandardInput.WriteLine("done");
        python.StandardInput.Close();
        Assert.True(python.WaitForExit(60_000));
    }

    private const string PythonSubscriber = """
        import sys, json, zmq, msgpack
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB); sub.connect(sys.argv[1]); sub.setsockopt(zmq.SUBSCRIBE, b"")
        first, total = map(int, sys.stdin.readline().split())
        wanted = range(first, first + total)
        got = {}
        # The snapshot batch went out before this subscriber joined: ask the replay socket (a DEALER, since the
        # ROUTER streams several replies to one request), as a vLLM subscriber does on a gap.
        dealer = ctx.socket(zmq.DEALER); dealer.connect(sys.argv[2]); dealer.send_multipart([b"", first.to_bytes(8, "big")])
        while True:
            _, s, p = dealer.recv_multipart()
            s = int.from_bytes(s, "big", signed=True)
            if s == -1: break
            got[s] = p
        poller = zmq.Poller(); poller.register(sub, zmq.POLLIN)
        while any(s not in got for s in wanted) and poller.poll(5000):
            topic, seq, payload = sub.recv_multipart()
            got[int.from_bytes(seq, "big", signed=True)] = payload
        for s in wanted:
            batch = msgpack.unpackb(got[s], raw=False)
            ts, events, rank = batch[0], batch[1], (batch[2] if len(batch) > 2 else None)
            assert isinstance(ts, float)
            for e in events:
                out = {"seq": s, "rank": rank, "tag": e[0]}
                if e[0] == "BlockStored":
                    names = ["block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id", "medium", "lora_name", "extra_keys"]
                    out.update(zip(names, e[1:]))
                elif e[0] == "BlockRemoved":
                    out.update(zip(["block_hashes", "medium"], e[1:]))
                print(json.dumps(out))
        """;

    private const string PythonPublisher = """
        import sys, time, zmq, msgpack
        ctx = zmq.Context()
        pub = ctx.socket(zmq.PUB); port = pub.bind_to_random_port("tcp://127.0.0.1")
        router = ctx.socket(zmq.ROUTER); rport = router.bind_to_random_port("tcp://127.0.0.1")
        print(f"tcp://127.0.0.1:{port} tcp://127.0.0.1:{rport}")
        sys.stdin.readline()
        # msgspec array_like=True, tag=True, omit_defaults=True: [tag, fields...]; EventBatch [ts, events, dp_rank]
        batches = [
            [time.time(), [["BlockStored", [11, 12, 13], None, list(range(48)), 16, None, None, None]], 0],
            [time.time(), [["BlockStored", [12], 11, [], 16, None, "CPU", None]], 0],
            [time.time(), [["BlockRemoved", [12, 13]], ["BlockStored", [0xFFFFFFFFFFFFFFF0], None, [], 16, None, "GPU", None, [None]]], 0],
        ]
        payloads = [msgpack.packb(b, use_bin_type=True) for b in batches]
        for seq, p in enumerate(payloads):
            pub.send_multipart([b"", seq.to_bytes(8, "big"), p])
        print("published")
        next_beat = time.time()
        poller = zmq.Poller(); poller.register(router, zmq.POLLIN); poller.register(sys.stdin, zmq.POLLIN)
        deadline = time.time() + 15
        while time.time() < deadline:
            ready = dict(poller.poll(200))
            if router in ready:
                ident, _, start = router.recv_multipart()
                for seq, p in enumerate(payloads):
                    if seq >= int.from_bytes(start, "big"):
                        router.send_multipart([ident, b"", seq.to_bytes(8, "big"), p])
                router.send_multipart([ident, b"", (-1).to_bytes(8, "big", signed=True), b""])
            if sys.stdin.fileno() in ready or sys.stdin in ready:
                break
            if time.time() > next_beat:
                # An idle engine's next batches: a subscriber that joined late sees one and replays what it missed.
                payloads.append(msgpack.packb([time.time(), [], 0]))
                pub.send_multipart([b"", (len(payloads) - 1).to_bytes(8, "big"), payloads[-1]])
                next_beat = time.time() + 0.2
        """;
}
