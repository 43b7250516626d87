using System.Globalization;

namespace KvTiering.AgentServer.Tests;

/// <summary>The TCP ports this process listens on (Linux: /proc/net/tcp{,6} joined with /proc/self/fd's sockets).</summary>
public static class ListeningPorts
{
    public static HashSet<int> OfThisProcess()
    {
        var inodes = new HashSet<string>();
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
            catch (IOException)
            {
                // closed meanwhile
            }
        }

        var ports = new HashSet<int>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A" && inodes.Contains(f[9]))
                {
                    ports.Add(int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }

        return ports;
    }
}

/// <summary>Tests that count this process's listening ports: they run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PortCountingTests
{
    public const string Name = "ports";
}
