using System.Net;
using System.Net.Sockets;

namespace KvTiering.AgentServer.Tests;

/// <summary>The server's process with a KV-event setting it cannot use: one line and an exit code, as for its other settings.</summary>
public sealed class KvEventsStartupTests
{
    [Fact]
    public async Task AKvEventPortInUseIsOneLineAndExitCode1()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        (int rc, string errors) = await RunServer($"--KvTiering:KvEvents:Endpoint=tcp://*:{port}");
        Assert.Equal(1, rc);
        Assert.StartsWith($"AgentServer: KvTiering:KvEvents: cannot publish on 'tcp://*:{port}'", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidKvEventSettingIsOneLineAndExitCode2()
    {
        (int rc, string errors) = await RunServer("--KvTiering:KvEvents:Endpoint=tcp://127.0.0.1:*", "--KvTiering:KvEvents:BufferSteps=0");
        Assert.Equal(2, rc);
        Assert.StartsWith("AgentServer: KvTiering:KvEvents: BufferSteps and HighWaterMark must be at least 1", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Errors)> RunServer(params string[] args) =>
        ServerProcess.RunToExitAsync(["--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256", .. args]);
}
