using KvTiering.Tiers;

namespace KvTiering.Events;

/// <summary>
/// The <c>medium</c> strings of vLLM's KV events for each tier kind, so routers that read vLLM events (Dynamo's KV
/// router, llm-d's indexer) see which tier of a KvTiering store holds a block.
/// </summary>
/// <remarks>
/// vLLM publishes <c>"GPU"</c> for its device cache (<c>MEDIUM_GPU</c> in vllm/distributed/kv_events.py) and
/// <c>"CPU"</c> for its CPU offloading tier; Dynamo's router treats an absent or empty medium as the device tier. Flash
/// and shared tiers have no vLLM name: KvTiering publishes <c>"DISK"</c> and <c>"REMOTE"</c>.
/// </remarks>
public static class KvEventMedium
{
    /// <summary>Accelerator memory (SRAM, HBM, GDDR).</summary>
    public const string Gpu = "GPU";

    /// <summary>Host DRAM.</summary>
    public const string Cpu = "CPU";

    /// <summary>Local flash.</summary>
    public const string Disk = "DISK";

    /// <summary>A remote, shared tier.</summary>
    public const string Remote = "REMOTE";

    /// <summary>The medium string of a tier kind.</summary>
    public static string Of(TierKind kind) => kind switch
    {
        TierKind.Sram or TierKind.Hbm or TierKind.Gddr => Gpu,
        TierKind.Dram => Cpu,
        TierKind.Flash => Disk,
        _ => Remote,
    };
}
