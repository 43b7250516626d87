using System.Diagnostics;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A KV-event consumer written as vLLM's own example is (<c>examples/online_serving/kv_events_subscriber.py</c>: pyzmq
/// SUB, msgpack), run on the system interpreter with Debian's python3-zmq, python3-msgpack and python3-cbor2 (which
/// <c>.ci/run</c> installs). It shares no code with ours: it computes the router's block hashes itself (vLLM's
/// <c>sha256_cbor</c>, from kv_cache_utils.py) from the prompt's token ids.
/// </summary>
internal static class PythonConsumer
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>
    /// Reads <c>{"endpoint", "seed", "tokens"}</c> on stdin, subscribes, prints <c>subscribed</c>, then waits (20 s at
    /// most) until every full block of the tokens was stored, and prints one JSON line: the expected hashes, every
    /// BlockStored as received (positional fields named after kv_events.py), and the number of messages.
    /// </summary>
    public const string Script = """
        import sys, json, time, hashlib, zmq, msgpack, cbor2
        req = json.loads(sys.stdin.readline())
        def sha256_cbor(o): return hashlib.sha256(cbor2.dumps(o, canonical=True)).digest()
        parent, expected, toks = sha256_cbor(req["seed"]), [], req["tokens"]
        for b in range(len(toks) // 16):
            parent = sha256_cbor((parent, tuple(toks[b*16:(b+1)*16]), None))
            expected.append(int.from_bytes(parent, "big") & ((1 << 64) - 1))
        sub = zmq.Context().socket(zmq.SUB)
        sub.connect(req["endpoint"])
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        print("subscribed", flush=True)
        stored, messages, deadline = [], 0, time.time() + 20
        while time.time() < deadline and not set(expected) <= {h for e in stored for h in e["block_hashes"]}:
            if not sub.poll(100):
                continue
            topic, seq, payload = sub.recv_multipart()
            messages += 1
            ts, events = msgpack.unpackb(payload)[:2]
            for e in events:
                if e[0] == "BlockStored":
                    keys = ["block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id", "medium"]
                    stored.append(dict(zip(keys, e[1:7]), seq=int.from_bytes(seq, "big"), ts=ts))
        print(json.dumps({"expected": expected, "stored": stored, "messages": messages}), flush=True)
        """;

    /// <summary>Why the test cannot run here, or null.</summary>
    public static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Interpreter))
        {
            return $"{Interpreter} is not installed";
        }

        using Process p = Process.Start(new ProcessStartInfo(Interpreter, ["-c", "import zmq, msgpack, cbor2"]) { RedirectStandardError = true })!;
        p.WaitForExit(30_000);
        return p.ExitCode == 0 ? null : "python3-zmq, python3-msgpack or python3-cbor2 is missing";
    });

    public static Process Start()
    {
        string file = Path.Combine(Path.GetTempPath(), $"kvt-consumer-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, Script);
        var info = new ProcessStartInfo(Interpreter, ["-u", file])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {Interpreter}");
    }
}

/// <summary>A fact that runs where <see cref="PythonConsumer"/> has its modules, and is skipped with the reason elsewhere.</summary>
public sealed class PythonConsumerFactAttribute : FactAttribute
{
    public PythonConsumerFactAttribute()
    {
        if (PythonConsumer.Missing.Value is string reason)
        {
            Skip = $"needs the system Python's zmq, msgpack and cbor2: {reason}";
        }
    }
}
