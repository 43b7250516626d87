using AgentServer.Remote;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Extensions;
using KvTiering.Placement;
using KvTiering.Store;
using KvTiering.Tiers;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace AgentServer.Engine;

/// <summary>
/// Builds the server's store from <c>AddKvTiering</c>'s options (the <c>KvTiering</c> section), with the model's KV
/// layout as its block size, a placement ledger for the explain endpoint, and policies that log the hints they get.
/// </summary>
/// <remarks>
/// The store is registered before <c>AddKvTiering</c>, whose registrations are all TryAdd, so this one is used: it needs
/// the model's layout (a block is 16 tokens of this model's sequence state), which the options alone do not know.
/// </remarks>
internal static class StoreFactory
{
    public static TieredKvStore Create(IServiceProvider services)
    {
        KvTieringOptions o = services.GetRequiredService<IOptions<KvTieringOptions>>().Value;
        LlamaEngine engine = services.GetRequiredService<LlamaEngine>();
        SessionHintLog hints = services.GetRequiredService<SessionHintLog>();
        KvLayout layout = engine.Layout;
        var options = new KvStoreOptions
        {
            Layout = layout,
            Promotion = o.Promotion,
            FlushOnDispose = o.FlushOnDispose,
            MeterFactory = services.GetService<IMeterFactory>(),
            Logger = services.GetService<ILoggerFactory>()?.CreateLogger<TieredKvStore>(),
            Ledger = new PlacementLedger(),
        };
        long blockBytes = layout.BytesPerBlock;
        if (o.MemoryBytes > 0)
        {
            options.Tiers.Add(new TierOptions(TierProfiles.FromName(o.MemoryTier), Blocks(o.MemoryBytes, blockBytes, "MemoryBytes"))
            {
                Policy = Policy(o.MemoryPolicy, hints, o.MemoryTier),
            });
        }

        if (o.FlashDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            options.Tiers.Add(new TierOptions(TierProfiles.Flash, Blocks(o.FlashBytes, blockBytes, "FlashBytes"))
            {
                Policy = Policy(o.FlashPolicy, hints, "flash"),
                Directory = directory,
                Compression = o.FlashCompression,
            });
        }

        // Below flash, the shared remote tier when KvTiering:Redis:Configuration names a server (docs/remote-tier.md).
        RemoteTierConnection connection = services.GetRequiredService<RemoteTierConnection>();
        if (connection.Tier(engine.Hasher.Root.ToString(), blockBytes) is { } remote)
        {
            options.Tiers.Add(remote);
            options.WriteBehindBlocks = Math.Max(options.WriteBehindBlocks, connection.WriteBehindBlocks);
        }

        return new TieredKvStore(options);
    }

    private static int Blocks(long bytes, long blockBytes, string name)
    {
        long blocks = bytes / blockBytes;
        if (blocks < 1 || blocks > int.MaxValue)
        {
            throw new OptionsValidationException(KvTieringOptions.SectionName, typeof(KvTieringOptions),
                [$"KvTiering:{name} {bytes} holds {blocks} blocks of {blockBytes} bytes (16 tokens of this model); give room for at least one."]);
        }

        return (int)blocks;
    }

    /// <summary>The named policy, wrapped to log hints when it is one of the common ones (others run unwrapped).</summary>
    private static EvictionPolicy Policy(string name, SessionHintLog hints, string tier) => name.Trim().ToUpperInvariant() switch
    {
        "AGENT" => EvictionPolicy.Create("agent", () => new HintRecordingPolicy<AgentPolicy>(new AgentPolicy(), hints, tier)),
        "LRU" => EvictionPolicy.Create("lru", () => new HintRecordingPolicy<LruPolicy>(new LruPolicy(), hints, tier)),
        "CLOCK" => EvictionPolicy.Create("clock", () => new HintRecordingPolicy<ClockPolicy>(new ClockPolicy(), hints, tier)),
        _ => EvictionPolicies.FromName(name),
    };
}
