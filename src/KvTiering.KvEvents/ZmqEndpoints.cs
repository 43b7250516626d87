using NetMQ;

namespace KvTiering.KvEvents;

/// <summary>Binds or connects the publisher's sockets: vLLM's bind-or-connect rule, and a bind that waits out a port still closing.</summary>
internal static class ZmqEndpoints
{
    public static void Attach(NetMQSocket socket, string endpoint, bool? bind)
    {
        // vLLM's rule unless told: bind stable addresses (wildcards, ipc, inproc), connect to the rest.
        if (bind ?? (endpoint.Contains('*', StringComparison.Ordinal) || endpoint.Contains("::", StringComparison.Ordinal)
            || endpoint.StartsWith("ipc://", StringComparison.Ordinal) || endpoint.StartsWith("inproc://", StringComparison.Ordinal)))
        {
            BindSoon(socket, endpoint);
        }
        else
        {
            socket.Connect(endpoint);
        }
    }

    public static void BindSoon(NetMQSocket socket, string endpoint)
    {
        // NetMQ closes a disposed socket's listener asynchronously, so a publisher restarted in the same process can
        // find its port still held for a few milliseconds: retry for up to 2 s before reporting the address in use.
        long deadline = Environment.TickCount64 + 2_000;
        while (true)
        {
            try
            {
                socket.Bind(endpoint);
                return;
            }
            catch (AddressAlreadyInUseException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
