using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using KvTiering.Redis;
using KvTiering.Store;
using KvTiering.Tiers;
using LLama;
using LLama.Common;
using LLama.Native;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// What the shared-prefix save (<see cref="LlamaPrefixCacheOptions.SaveSharedPrefixes"/>, snap27) costs the request
/// whose restore makes it: the remote drill's shape (the tiny model, 16-token blocks of 16 KiB, a 64-block DRAM tier
/// over a 64-block flash tier over Garnet embedded in the process with write-behind, behind a
/// <see cref="DelayRelay"/>), a session of 2,798 tokens saved, then a new session sharing its first 352 tokens
/// restored: the restore reads the whole saved snapshot through a waypoint, trims it to the 352 tokens and, with the
/// option on, saves them as a snapshot of their own before returning. The option off is the baseline; the two cases
/// (one store each) are interleaved round by round on the same server, each round with a system prompt of its own.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- shared-prefix-save [rounds] [delays, ms: 0,20,100]</c>.</remarks>
internal static class SharedPrefixSaveRun
{
    private const int Shared = 352;
    private const int PromptTokens = 2_798;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        int[] delays = args.Length > 1 ? [.. args[1].Split(',').Select(d => int.Parse(d, CultureInfo.InvariantCulture))] : [0, 20, 100];
        NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });
        string directory = Path.Combine(Path.GetTempPath(), "kvtiering-shared-prefix-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var parameters = new ModelParams(SyntheticLlamaModel.Tiny.EnsureGguf(Path.Combine(Path.GetTempPath(), "kvtiering-models")))
        {
            ContextSize = 4096, BatchSize = 512, UBatchSize = 512, Threads = 1, BatchThreads = 1, GpuLayerCount = 0, FlashAttention = false,
        };
        using LLamaWeights weights = LLamaWeights.LoadFromFile(parameters);
        using LLamaContext context = weights.CreateContext(parameters);
        KvLayout layout = LlamaKvLayout.FromModel(weights, tokensPerBlock: 16);
        using var remote = new RelayedGarnet();
        Console.WriteLine($"| Reply delay | Shared-prefix save | restore: median ms ({rounds} rounds) | min–max ms | the save's share: median ms |");
        Console.WriteLine("|---:|---|---:|---:|---:|");
        int seed = 1;
        foreach (int delay in delays)
        {
            using var off = new Case(remote, layout, Path.Combine(directory, $"off{delay}"), saveShared: false);
            using var on = new Case(remote, layout, Path.Combine(directory, $"on{delay}"), saveShared: true);
            var times = new List<double>[] { [], [] };
            for (int r = 0; r < rounds; r++)
            {
                LLamaToken[] system = Tokens(seed++, Shared);
                foreach (int which in r % 2 == 0 ? (int[])[0, 1] : [1, 0])
                {
                    remote.Relay.DelayMilliseconds = delay;
                    times[which].Add((which == 0 ? off : on).TimeRestore(context, system, Tokens(seed++, PromptTokens - Shared),
                        Tokens(seed++, PromptTokens - Shared)));
                }
            }

            double baseline = RelayedGarnet.Median(times[0]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {delay} ms | (the request's next step: prefill of the other {PromptTokens - Shared} tokens) | {RelayedGarnet.Median([.. off.Prefills, .. on.Prefills]):F1} | | |"));
            for (int which = 0; which < 2; which++)
            {
                double median = RelayedGarnet.Median(times[which]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {delay} ms | {(which == 0 ? "off (baseline)" : "on")} | {median:F1} | {times[which].Min():F1}–{times[which].Max():F1} | {median - baseline:F1} |"));
            }
        }

        Directory.Delete(directory, recursive: true);
        return 0;
    }

    private static LLamaToken[] Tokens(int seed, int count)
    {
        var random = new Random(seed);
        var tokens = new LLamaToken[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = random.Next(259, SyntheticLlamaModel.Tiny.VocabularySize);
        }

        return tokens;
    }

    /// <summary>A store shaped like the drill's over the relayed server, and a prefix cache with the option on or off.</summary>
    private sealed class Case : IDisposable
    {
        private static readonly LLamaSeqId Seq = LLamaSeqId.Zero;
        private readonly ConnectionMultiplexer _connection;
        private readonly TieredKvStore _store;
        private readonly LlamaPrefixCache _cache;
        private readonly bool _saveShared;

        /// <summary>Each round's prefill of the rest of the prompt after the restore, milliseconds.</summary>
        public List<double> Prefills { get; } = [];

        public Case(RelayedGarnet remote, KvLayout layout, string flash, bool saveShared)
        {
            RedisTierOptions redis = remote.Options("shared");
            _connection = RedisTier.Connect(redis);
            var options = new KvStoreOptions { Layout = layout, WriteBehindBlocks = 4 * redis.WriteWindow };
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, 64));
            options.Tiers.Add(new TierOptions(TierProfiles.Flash, 64) { Directory = flash });
            TierOptions tier = RedisTier.Create(_connection, redis, 4096);
            tier.WriteBehind = true;
            options.Tiers.Add(tier);
            _store = new TieredKvStore(options);
            _cache = new LlamaPrefixCache(_store, new BlockHasher(layout), new LlamaPrefixCacheOptions { SaveSharedPrefixes = saveShared });
            _saveShared = saveShared;
        }

        /// <summary>Saves system + <paramref name="first"/> (untimed), then times the restore of system + <paramref name="second"/>.</summary>
        public double TimeRestore(LLamaContext context, LLamaToken[] system, LLamaToken[] first, LLamaToken[] second)
        {
            LLamaToken[] saved = [.. system, .. first];
            context.NativeHandle.MemorySequenceRemove(Seq, -1, -1);
            LlamaPrefill.Prefill(context.NativeHandle, Seq, saved, 0);
            if (_cache.Save(context, Seq, saved).Outcome != SaveOutcome.Stored)
            {
                throw new InvalidOperationException("the first session's save was not stored");
            }

            long savesBefore = _cache.GetStatistics().Saves;
            LLamaToken[] prompt = [.. system, .. second];
            long start = Stopwatch.GetTimestamp();
            PrefixRestore restore = _cache.RestoreAsync(context, Seq, prompt).GetAwaiter().GetResult();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            long sharedSaves = _cache.GetStatistics().Saves - savesBefore;
            if (restore.RestoredTokens != Shared || sharedSaves != (_saveShared ? 1 : 0))
            {
                throw new InvalidOperationException($"restored {restore.RestoredTokens} tokens ({restore.Outcome}), {sharedSaves} shared prefixes saved");
            }

            // What the request does next, for scale: the prefill of the tokens not restored.
            start = Stopwatch.GetTimestamp();
            LlamaPrefill.Prefill(context.NativeHandle, Seq, prompt.AsSpan(Shared), Shared);
            Prefills.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            return ms;
        }

        public void Dispose()
        {
            _store.Dispose();
            _connection.Dispose();
        }
    }
}
