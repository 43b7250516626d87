using System.Diagnostics;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// <see cref="ClusterPrefixIndex"/> following a Python publisher that lays events out exactly as vLLM's encoder does
/// (msgspec <c>array_like=True, tag=True, omit_defaults=True</c>), through a dropped batch, a clear and a restart.
/// </summary>
public sealed class IndexFollowsVllmRestartTests
{
    [PythonFact]
    public void Index_FollowsAVllmFormatPublisher_ThroughGapReplayClearAndRestart()
    {
        using Process python = SystemPython.Start(Publisher);
        Task<string> errors = python.StandardError.ReadToEndAsync();
        string[] ports = (python.StandardOutput.ReadLine() ?? throw new InvalidOperationException("no ports")).Split(' ');
        using var index = new ClusterPrefixIndex();
        int vllm = index.Follow("vllm-0", $"tcp://127.0.0.1:{ports[1]}", $"tcp://127.0.0.1:{ports[2]}");
        Assert.Equal("subscribed", python.StandardOutput.ReadLine());

        void Send(string json)
        {
            python.StandardInput.WriteLine(json);
            python.StandardInput.Flush();
            Assert.StartsWith("sent", python.StandardOutput.ReadLine(), StringComparison.Ordinal);
        }

        var result = new PrefixOverlap[1];
        void Expect(ulong[] prompt, PrefixOverlap? expected)
        {
            bool ok = SpinWait.SpinUntil(() =>
            {
                int n = index.Match(prompt, result);
                return expected is null ? n == 0 : n == 1 && result[0] == expected;
            }, 60_000);
            Assert.True(ok, $"expected {expected?.ToString() ?? "nothing"}, index says {result[0]}; python: {(python.HasExited ? errors.Result : "running")}");
        }

        // Blocks 1-3 on the GPU; block 4 offloaded to CPU, its hash sent as 32 bytes (vLLM without int hashes).
        Send("""{"seq":0,"events":[{"type":"BlockStored","block_hashes":[1,2,3],"parent_block_hash":null,"medium":"GPU"}]}""");
        Send("""{"seq":1,"events":[{"type":"BlockStored","block_hashes":["00000000000000000000000000000000000000000000000000000000000000000004"],"parent_block_hash":3,"medium":"CPU","lora_name":"sql","extra_keys":[["sql"]]}]}""");
        Expect([1, 2, 3, 4], new PrefixOverlap(vllm, 4, 3, 1, 0, 0));

        Send("""{"seq":2,"events":[{"type":"BlockRemoved","block_hashes":[2],"medium":"GPU"}]}""");
        Expect([1, 2, 3, 4], new PrefixOverlap(vllm, 1, 1, 0, 0, 0));

        // Batch 3 never reaches the subscriber; batch 4 shows the gap and the index fills it from the ROUTER.
        Send("""{"seq":3,"skip":true,"events":[{"type":"BlockStored","block_hashes":[2],"parent_block_hash":1,"medium":"GPU"}]}""");
        Send("""{"seq":4,"events":[{"type":"BlockStored","block_hashes":[5],"parent_block_hash":4,"medium":null}]}""");
        Expect([1, 2, 3, 4, 5], new PrefixOverlap(vllm, 5, 4, 1, 0, 0));

        Send("""{"seq":5,"events":[{"type":"AllBlocksCleared"},{"type":"BlockStored","block_hashes":[1],"parent_block_hash":null,"medium":"GPU"}]}""");
        Expect([1, 2, 3, 4, 5], new PrefixOverlap(vllm, 1, 1, 0, 0, 0));

        // The publisher restarts: its sequence starts over, so everything learnt before is forgotten.
        Send("""{"seq":0,"restart":true,"events":[{"type":"BlockStored","block_hashes":[7],"parent_block_hash":null,"medium":"GPU"}]}""");
        Expect([7], new PrefixOverlap(vllm, 1, 1, 0, 0, 0));
        Expect([1], null);
        Assert.Equal(1, index.HeldBy(vllm));

        python.StandardInput.Close();
        Assert.True(python.WaitForExit(60_000));
        Assert.True(python.ExitCode == 0, errors.Result);
    }

    /// <summary>
    /// vLLM's <c>ZmqEventPublisher</c> in miniature: XPUB (to wait for the subscriber) sending (topic, 8-byte big-endian
    /// sequence, payload), a ROUTER answering [identity, "", start] with the buffered batches and a −1 end marker. The
    /// payload is what msgspec writes for <c>KVEventBatch</c>: trailing fields left at their defaults are omitted.
    /// </summary>
    private const string Publisher = """
        import sys, json, time, zmq, msgpack
        ctx = zmq.Context()
        pub = ctx.socket(zmq.XPUB); pp = pub.bind_to_random_port("tcp://127.0.0.1")
        rtr = ctx.socket(zmq.ROUTER); rp = rtr.bind_to_random_port("tcp://127.0.0.1")
        print("ports", pp, rp, flush=True)
        def event(e):
            t = e["type"]
            if t == "AllBlocksCleared": return [t]
            hashes = [bytes.fromhex(h[-64:]) if isinstance(h, str) else h for h in e["block_hashes"]]
            if t == "BlockRemoved": return [t, hashes, e["medium"]]
            out = [t, hashes, e["parent_block_hash"], e.get("token_ids", []), e.get("block_size", 16), e.get("lora_id"), e["medium"]]
            if e.get("lora_name") is not None or e.get("extra_keys") is not None: out.append(e.get("lora_name"))
            if e.get("extra_keys") is not None: out.append(e["extra_keys"])
            return out
        buffer, subscribed = {}, False
        poller = zmq.Poller()
        for s in (pub, rtr, sys.stdin): poller.register(s, zmq.POLLIN)
        while True:
            for sock, _ in poller.poll():
                if sock is pub:
                    if pub.recv()[:1] == b"\x01" and not subscribed:
                        subscribed = True; print("subscribed", flush=True)
                elif sock is rtr:
                    ident, empty, start = rtr.recv_multipart()
                    first = int.from_bytes(start, "big", signed=True)
                    for seq in sorted(buffer):
                        if seq >= first: rtr.send_multipart([ident, b"", seq.to_bytes(8, "big", signed=True), buffer[seq]])
                    rtr.send_multipart([ident, b"", (-1).to_bytes(8, "big", signed=True), b""])
                else:
                    line = sys.stdin.readline()
                    if not line: sys.exit(0)
                    cmd = json.loads(line)
                    if cmd.get("restart"): buffer.clear()
                    payload = msgpack.packb([time.time(), [event(e) for e in cmd["events"]]], use_bin_type=True)
                    buffer[cmd["seq"]] = payload
                    if not cmd.get("skip"): pub.send_multipart([b"", cmd["seq"].to_bytes(8, "big", signed=True), payload])
                    print("sent", cmd["seq"], flush=True)
        """;
}
