// Disaggregated prefill → decode on KvTiering: a prefill node computes the KV cache of three agent sessions (which
// share a system prompt and tool definitions) and streams each session's block chain to a decode node over real
// loopback TCP, three streams at once. The decode node then serves each session's next turn from its own store: the
// agent's reply and a tool result extend the context, the decode node keys the new prompt, matches its prefix, reads
// every reused block back and checks it byte for byte against the KV the prefill node computed. It prints blocks
// sent, received, verified and hit, and exits 0 only when every block verified. With --tls the streams run inside
// mutually authenticated TLS, as between two hosts (docs/transfer.md, "Across hosts").
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using KvTiering.Transfer;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
ModelPreset model = ModelPresets.Qwen25_7B;
KvLayout layout = model.Layout(tokensPerBlock: 16, elementBytes: 1); // FP8 KV: 448 KiB blocks keep the sample modest
var hasher = new BlockHasher(layout);
var random = new Random(2026);
int[] systemPrompt = Tokens(random, 1_024); // system prompt + tool definitions, shared by every session
int[][] prompts = [.. Enumerable.Range(0, 3).Select(_ => (int[])[.. systemPrompt, .. Tokens(random, 500 + random.Next(400))])];

using TieredKvStore prefillStore = NewStore(layout);
using TieredKvStore decodeStore = NewStore(layout);
Console.WriteLine($"model {model.DisplayName}, {layout.TokensPerBlock}-token blocks of {layout.BytesPerBlock / 1024} KiB (FP8), {prompts.Length} agent sessions");

// Prefill node: compute the KV of every full block of each prompt that its prefix cache lacks.
var chains = new BlockKey[prompts.Length][];
var kv = new byte[layout.BytesPerBlock];
int computed = 0, reused = 0;
for (int s = 0; s < prompts.Length; s++)
{
    chains[s] = new BlockKey[hasher.BlockCount(prompts[s].Length)];
    hasher.ComputeKeys(prompts[s], chains[s]);
    for (int i = 0; i < chains[s].Length; i++)
    {
        if (prefillStore.Contains(chains[s][i]))
        {
            reused++;
            continue;
        }

        prefillStore.Put(chains[s][i], i == 0 ? hasher.Root : chains[s][i - 1], SyntheticKv(chains[s][i], kv));
        computed++;
    }
}

Console.WriteLine($"prefill node: computed {computed} blocks, reused {reused} from its prefix cache (the shared system prompt)");

// Stream every session's chain to the decode node at once, one loopback TCP connection each.
var options = new BlockTransferOptions { IdleTimeout = TimeSpan.FromSeconds(30) };
var receiver = new BlockStreamReceiver(decodeStore, hasher, options);
var sender = new BlockStreamSender(prefillStore, hasher, options);
bool tls = args.Contains("--tls");
BlockStreamTls? decodeTls = null, prefillTls = null;
if (tls)
{
    // A throwaway self-signed pair for this run, each node pinning the other's certificate. Production loads
    // certificates its own CA issued, from a secret store, and trusts that CA instead.
    X509Certificate2 decodeCertificate = DemoCertificate("decode-node"), prefillCertificate = DemoCertificate("prefill-node");
    decodeTls = new BlockStreamTls(decodeCertificate, [prefillCertificate]);
    prefillTls = new BlockStreamTls(prefillCertificate, [decodeCertificate]);
    Console.WriteLine("TLS: mutual authentication with a throwaway self-signed pair (demo only; production uses certificates from its own CA)");
}

// Without TLS the server binds loopback only; with it, any address would do (loopback here, to keep the demo local).
await using var server = decodeTls is null
    ? new BlockStreamServer(receiver)
    : new BlockStreamServer(receiver, new IPEndPoint(IPAddress.Loopback, 0), decodeTls);
var client = prefillTls is null ? new BlockStreamClient(sender) : new BlockStreamClient(sender, prefillTls);
Console.WriteLine($"decode node listening on {server.EndPoint}{(tls ? " (TLS)" : "")}");
var clock = Stopwatch.StartNew();
Task<BlockReceiveResult>[] receiving = [.. prompts.Select(_ => server.ReceiveOneAsync())];
Task<BlockSendResult>[] sending = [.. chains.Select((chain, s) => client.SendChainAsync(server.EndPoint, hasher.Root, chain, session: s + 1))];
BlockSendResult[] sent = await Task.WhenAll(sending);
BlockReceiveResult[] received = await Task.WhenAll(receiving);
clock.Stop();
long bytes = received.Sum(r => r.PayloadBytes);
Console.WriteLine($"streamed {bytes / (1024.0 * 1024):F1} MiB in {clock.Elapsed.TotalMilliseconds:F0} ms ({bytes / (1024.0 * 1024) / clock.Elapsed.TotalSeconds:F0} MiB/s over loopback{(tls ? ", TLS" : "")})");

// Decode node: serve each session's next turn (its reply plus a tool result appended) from its own store.
Console.WriteLine();
Console.WriteLine("session  blocks  sent  received  verified  stored  already  rejected  next-turn     hit  hit-verified  to-prefill  fault");
bool ok = true;
var readBack = new byte[layout.BytesPerBlock];
long totalVerified = 0, totalHit = 0, totalHitVerified = 0;
foreach (BlockReceiveResult result in received.OrderBy(r => r.SessionId))
{
    int s = (int)result.SessionId - 1;
    BlockKey[] chain = chains[s];
    int[] nextTurn = [.. prompts[s], .. Tokens(random, 20 + random.Next(20)), .. Tokens(random, 300 + random.Next(300))];
    var nextKeys = new BlockKey[hasher.BlockCount(nextTurn.Length)];
    hasher.ComputeKeys(nextTurn, nextKeys);
    PrefixMatch match = decodeStore.MatchPrefix(nextKeys);
    int hitVerified = 0;
    for (int i = 0; i < match.Blocks; i++)
    {
        if (decodeStore.TryGet(nextKeys[i], readBack, out int n) && readBack.AsSpan(0, n).SequenceEqual(SyntheticKv(nextKeys[i], kv)))
        {
            hitVerified++;
        }
    }

    BlockSendResult send = sent[s];
    bool sessionOk = send.Completed && result.Completed && result.BlocksRejected == 0
        && result.BlocksVerified == chain.Length && send.BlocksSent == chain.Length
        && match.Blocks == chain.Length && hitVerified == chain.Length;
    ok &= sessionOk;
    totalVerified += result.BlocksVerified;
    totalHit += match.Blocks;
    totalHitVerified += hitVerified;
    int toPrefill = nextTurn.Length - (match.Blocks * layout.TokensPerBlock);
    Console.WriteLine($"{result.SessionId,7} {chain.Length,7} {send.BlocksSent,5} {result.BlocksReceived,9} {result.BlocksVerified,9} {result.BlocksStored,7} {result.BlocksAlreadyPresent,8} {result.BlocksRejected,9} {nextTurn.Length,10} {match.Blocks,7} {hitVerified,13} {toPrefill,11}  {(sessionOk ? "none" : $"{result.Fault}: {result.Reason ?? send.Reason}")}");
}

Console.WriteLine();
Console.WriteLine($"decode node holds {decodeStore.Count} distinct blocks; {totalVerified} blocks received and verified, {totalHit} hit serving the next turns, {totalHitVerified} of them read back byte-exact.");
Console.WriteLine(ok ? "every block verified." : "FAILED: some block did not arrive or verify.");
return ok ? 0 : 1;

static TieredKvStore NewStore(KvLayout layout)
{
    var options = new KvStoreOptions { Layout = layout };
    options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 512));
    return new TieredKvStore(options);
}

// A self-signed ECDSA P-256 certificate good for a day, usable as a TLS server and as a TLS client: for the demo only.
static X509Certificate2 DemoCertificate(string name)
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
    request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
    using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null); // a key every platform's TLS can use
}

static int[] Tokens(Random random, int count)
{
    var tokens = new int[count];
    for (int i = 0; i < count; i++)
    {
        tokens[i] = random.Next(151_000);
    }

    return tokens;
}

// Synthetic KV bytes derived from the block key: the "prefill" both nodes can recompute to check a block.
static byte[] SyntheticKv(BlockKey key, byte[] buffer)
{
    ulong state = key.Low ^ key.High;
    for (int i = 0; i + 8 <= buffer.Length; i += 8)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(i), state);
    }

    return buffer;
}
