using AgentServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KvTiering.AgentServer.Tests;

/// <summary>The agent server on a real loopback port (Kestrel), for a browser; same settings as <see cref="TestServerFactory"/>.</summary>
public sealed class RealServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RealServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Starts the server; <paramref name="configure"/> may change the builder further (Kestrel's limits, say).</summary>
    public static async Task<RealServer> StartAsync(string flashDirectory, Action<WebApplicationBuilder>? configure = null)
    {
        Dictionary<string, string?> settings = TestServerFactory.Settings(flashDirectory);
        settings["Logging:LogLevel:Default"] = "Warning";
        WebApplication app = AgentServerApp.Build(["--urls", "http://127.0.0.1:0"],
            b =>
            {
                b.Configuration.AddInMemoryCollection(settings);
                configure?.Invoke(b);
            });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RealServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
