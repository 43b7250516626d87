using System.Net.Sockets;

namespace KvTiering.Testing;

/// <summary>
/// Ports for a test server that must come back on the same port after a restart (the client under test reconnects to
/// it). A port found free by binding port 0 and closing can be taken by a parallel test before the server binds it,
/// and a stopped server's port can be taken before it restarts: the kernel hands ports from its ephemeral range to
/// every socket bound to port 0 and every outgoing connection. These ports lie below that range, so only another
/// explicit bind can take one; this process never hands out the same port twice, and a port in use when the server
/// first starts is skipped.
/// </summary>
internal static class StablePorts
{
    private static readonly HashSet<int> Given = [];

    /// <summary>Calls <paramref name="start"/> with a fresh port until it does not fail with "address in use".</summary>
    public static T Start<T>(Func<int, T> start) => Start(1, ports => start(ports[0]));

    /// <summary>Calls <paramref name="start"/> with <paramref name="count"/> fresh ports until it does not fail with "address in use".</summary>
    public static T Start<T>(int count, Func<int[], T> start)
    {
        (int low, int high) = Range();
        for (int attempt = 1; ; attempt++)
        {
            int[] ports = [.. Enumerable.Range(0, count).Select(_ => Next(low, high))];
            try
            {
                return start(ports);
            }
            catch (Exception e) when (attempt < 20 && InUse(e))
            {
                // Another process holds this one; try another.
            }
        }
    }

    private static int Next(int low, int high)
    {
        lock (Given)
        {
            while (true)
            {
                int port = Random.Shared.Next(low, high);
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static bool InUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.GetType().Name == "AddressAlreadyInUseException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Up to 16,384 ports just below the kernel's ephemeral range (Linux: ip_local_port_range; else IANA's 49152).</summary>
    private static (int Low, int High) Range()
    {
        int ephemeral = 49152;
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            ephemeral = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux: keep IANA's dynamic range.
        }

        int low = Math.Max(1024, ephemeral - 16_384);
        return ephemeral - low >= 1024 ? (low, ephemeral) : (1024, 65536); // a range that leaves no room below: any port
    }
}
