using System.Globalization;
using Garnet;
using KvTiering.Blocks;
using KvTiering.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// The remote runs' shared setup (<see cref="RemotePrefetchRun"/>, <see cref="RemoteRestoreRun"/>,
/// <see cref="RemoteSaveRun"/>): Garnet embedded in the process behind a <see cref="DelayRelay"/>, the tier options
/// for a store over it, the 64 KiB block layout, and the median of a case's rounds.
/// </summary>
internal sealed class RelayedGarnet : IDisposable
{
    /// <summary>The blocks of one snapshot's save or restore (about a 3,000-token session's chunks).</summary>
    public const int Blocks = 190;

    private readonly GarnetServer _garnet;

    public RelayedGarnet()
    {
        int port = RemoteBenchmarks.FreePort();
        _garnet = new GarnetServer(["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--memory", "1g", "--index", "16m"]);
        _garnet.Start();
        Relay = new DelayRelay(port);
    }

    /// <summary>A layout of 64 KiB blocks named <paramref name="name"/>.</summary>
    public static KvLayout Layout(string name) => new(name, 1, 1, 16 * 1024, 2, 1);

    /// <summary>The relay every store connects through; set its delay per measurement.</summary>
    public DelayRelay Relay { get; }

    /// <summary>Tier options over the relay, in a namespace of their own, with generous timeouts (a slow reply is not a fault here).</summary>
    public RedisTierOptions Options(string prefix, int readWindow = 32, int writeWindow = 32) => new()
    {
        Configuration = $"127.0.0.1:{Relay.Port}",
        Namespace = prefix + Guid.NewGuid().ToString("N"),
        OperationTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReadWindow = readWindow,
        WriteWindow = writeWindow,
    };

    /// <summary>The median of a case's times.</summary>
    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public void Dispose()
    {
        Relay.Dispose();
        _garnet.Dispose();
    }
}
