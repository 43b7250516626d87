using System.Net;
using System.Net.Sockets;

namespace KvTiering.AgentServer.Tests;

/// <summary>The server's process, started as a user starts it, with a setting it cannot use: one line and an exit code.</summary>
public sealed class StartupErrorTests
{
    [Theory]
    [InlineData(2, "AgentServer: AgentServer: Sequences and Threads must be at least 1", "--AgentServer:Sequences=0")]
    [InlineData(2, "AgentServer: Failed to convert configuration value 'abc' at 'AgentServer:Sequences'", "--AgentServer:Sequences=abc")]
    [InlineData(2, "AgentServer: AgentServer:Preset 'huge' is not a synthetic model", "--AgentServer:Preset=huge")]
    [InlineData(1, "AgentServer: Could not find a part of the path '/nonexistent/model.gguf'", "--AgentServer:ModelPath=/nonexistent/model.gguf")]
    [InlineData(2, "AgentServer: AgentServer: RetryAfterSeconds and RecentRequests must be at least 0", "--AgentServer:RetryAfterSeconds=-5")]
    [InlineData(2, "AgentServer: KvTiering:KvEvents:FlushTimeout must be zero or positive", "--KvTiering:KvEvents:FlushTimeout=-00:00:01")]
    public async Task ASettingItCannotUseIsOneLineAndAnExitCode(int exitCode, string message, string setting)
    {
        (int rc, string errors) = await ServerProcess.RunToExitAsync(setting);
        Assert.Equal(exitCode, rc);
        Assert.StartsWith(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AModelPathThatIsNoGgufIsOneLineAndExitCode1()
    {
        using var dir = new TempDirectory();
        string notAModel = Path.Combine(dir.Path, "model.gguf");
        await File.WriteAllTextAsync(notAModel, "not a GGUF: a download that stopped early");
        (int rc, string errors) = await ServerProcess.RunToExitAsync($"--AgentServer:ModelPath={notAModel}");
        Assert.Equal(1, rc);
        Assert.StartsWith($"AgentServer: AgentServer:ModelPath '{notAModel}' is not a model llama.cpp can load", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortInUseIsOneLineAndExitCode1()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        (int rc, string errors) = await ServerProcess.RunToExitAsync("--AgentServer:Preset=tiny", "--AgentServer:ContextSize=256", "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, rc);
        Assert.Contains($"127.0.0.1:{port}", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }
}
