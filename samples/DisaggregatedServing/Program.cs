// Disaggregated prefill → decode on KvTiering: a prefill node computes the KV cache of three agent sessions (which
// share a system prompt and tool definitions) and streams each session's block chain to a decode node over real
// loopback TCP, three streams at once. The decode node then serves each session's next turn from its own store: the
// agent's reply and a tool result extend the context, the decode node keys the new prompt, matches its prefix, reads
// every reused block back and checks it byte for byte against the KV the prefill node computed. It prints blocks
// sent, received, verified and hit, and exits 0 only when every block verified.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
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
await using var server = new BlockStreamServer(new BlockStreamReceiver(decodeStore, hasher, options));
var client = new BlockStreamClient(new BlockStreamSender(prefillStore, hasher, options));
Console.WriteLine($"decode node listening on {server.EndPoint}");
var clock = Stopwatch.StartNew();
Task<BlockReceiveResult>[] receiving = [.. prompts.Select(_ => server.ReceiveOneAsync())];
Task<BlockSendResult>[] sending = [.. chains.Select((chain, s) => client.SendChainAsync(server.EndPoint, hasher.Root, chain, session: s + 1))];
BlockSendResult[] sent = await Task.WhenAll(sending);
BlockReceiveResult[] received = await Task.WhenAll(receiving);
clock.Stop();
long bytes = received.Sum(r => r.PayloadBytes);
Console.WriteLine($"streamed {bytes / (1024.0 * 1024):F1} MiB in {clock.Elapsed.TotalMilliseconds:F0} ms ({bytes / (1024.0 * 1024) / clock.Elapsed.TotalSeconds:F0} MiB/s over loopback)");

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
