// A multi-turn agent on KvTiering: two agent sessions share a system prompt and tool definitions; each turn appends
// a tool result (input) and a short model reply (output) at ~100:1, keys its whole context, matches the prefix,
// reads the reused blocks back (verifying every byte) and puts the new ones. Per turn it prints how many tokens
// needed no prefill, which tier each reused block came from, and the modeled load time against the modeled time to
// recompute them on an H100.
using System.Buffers.Binary;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Cost;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
ModelPreset model = ModelPresets.Qwen25_7B;
KvLayout layout = model.Layout(tokensPerBlock: 16, elementBytes: 1); // FP8 KV cache keeps the sample's memory modest
var cost = new CostModel(model, AcceleratorProfiles.H100Sxm, elementBytes: 1);
string flashDir = Path.Combine(Path.GetTempPath(), $"kvtiering-sample-{Environment.ProcessId}");

var options = new KvStoreOptions { Layout = layout };
options.Tiers.Add(new TierOptions(TierProfiles.Hbm3, 160));
options.Tiers.Add(new TierOptions(TierProfiles.Dram, 320));
options.Tiers.Add(new TierOptions(TierProfiles.Flash, 2048) { Directory = flashDir });
var hasher = new BlockHasher(layout);
var random = new Random(2026);
int[] sharedPrefix = Tokens(random, 3_000); // system prompt + tool definitions, the same for every session
List<int>[] contexts = [[.. sharedPrefix], [.. sharedPrefix]];
var kv = new byte[layout.BytesPerBlock];
var readBack = new byte[layout.BytesPerBlock];
long verified = 0, reusedTotal = 0, inputTotal = 0;
double loadTotal = 0, recomputeTotal = 0;

Console.WriteLine($"model {model.DisplayName}, {layout.TokensPerBlock}-token blocks of {layout.BytesPerBlock / 1024} KiB; tiers hbm3:160, dram:320, flash:2048 ({flashDir})");
Console.WriteLine("turn session  context  reused  new-prefill   hbm3  dram  flash   load(ms)  recompute(ms)");
using (var store = new TieredKvStore(options))
{
    for (int turn = 1; turn <= 16; turn++)
    {
        int session = turn % 2;
        List<int> context = contexts[session];
        context.AddRange(Tokens(random, 500 + random.Next(1_500))); // a tool result arrives: input grows ~100× the output
        int[] prompt = [.. context];
        var keys = new BlockKey[hasher.BlockCount(prompt.Length)];
        int blocks = hasher.ComputeKeys(prompt, keys);

        var tiers = new int[blocks];
        PrefixMatch match = store.MatchPrefix(keys.AsSpan(0, blocks), tiers);
        double load = 0;
        for (int i = 0; i < match.Blocks; i++)
        {
            load += CostModel.LoadSeconds(store.TierProfileAt(tiers[i]), layout.BytesPerBlock);
            if (!store.TryGet(keys[i], readBack, out int n) || !readBack.AsSpan(0, n).SequenceEqual(FillKv(keys[i], kv)))
            {
                Console.Error.WriteLine($"turn {turn}: block {i} came back wrong");
                return 1;
            }

            verified++;
        }

        for (int i = match.Blocks; i < blocks; i++)
        {
            store.Put(keys[i], i == 0 ? BlockKey.Empty : keys[i - 1], FillKv(keys[i], kv));
        }

        int reused = match.Blocks * layout.TokensPerBlock;
        double recompute = reused == 0 ? 0 : cost.RecomputeSeconds(reused, 0);
        Console.WriteLine($"{turn,4} {session,7} {prompt.Length,8} {reused,7} {prompt.Length - reused,12} {match.BlocksInTier(0),6} {match.BlocksInTier(1),5} {match.BlocksInTier(2),6} {load * 1e3,10:F2} {recompute * 1e3,14:F1}");
        context.AddRange(Tokens(random, 10 + random.Next(20))); // the model's short reply joins the context
        reusedTotal += reused;
        inputTotal += prompt.Length;
        loadTotal += load;
        recomputeTotal += recompute;
    }

    StoreStatistics stats = store.GetStatistics();
    Console.WriteLine();
    foreach (TierStatistics t in stats.Tiers)
    {
        Console.WriteLine($"{t.Name,-6} resident {t.ResidentBlocks,5}/{t.CapacityBlocks,-5} hits {t.Hits,5}  demotions {t.Demotions,5}  promotions {t.Promotions,5}  evictions {t.Evictions,5}  modeled {t.ModeledSeconds * 1e3:F1} ms, {t.ModeledJoules:F2} J");
    }
}

if (Directory.Exists(flashDir))
{
    Directory.Delete(flashDir, recursive: true);
}
Console.WriteLine();
Console.WriteLine($"{reusedTotal:N0} of {inputTotal:N0} input tokens reused ({100.0 * reusedTotal / inputTotal:F1}%), {verified:N0} blocks read back and verified;");
Console.WriteLine($"modeled load {loadTotal * 1e3:F1} ms vs {recomputeTotal * 1e3:F1} ms to recompute them on {AcceleratorProfiles.H100Sxm.DisplayName}.");
return 0;

static int[] Tokens(Random random, int count)
{
    var tokens = new int[count];
    for (int i = 0; i < count; i++)
    {
        tokens[i] = random.Next(151_000);
    }

    return tokens;
}

// Synthetic KV bytes derived from the block key, so a read can be checked byte for byte.
static byte[] FillKv(BlockKey key, byte[] buffer)
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
