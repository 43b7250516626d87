using AgentServer.Remote;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The remote tier's write-behind is on by default (docs/remote-tier.md, docs/history/reliability.md "After wb27"): a configured
/// remote asks the store for a queue of four write windows, and <c>KvTiering:Redis:WriteBehind=false</c> turns it off.
/// </summary>
public sealed class RemoteTierDefaultsTests
{
    private static int QueueBlocks(Action<RemoteTierOptions> configure)
    {
        var options = new RemoteTierOptions { Configuration = "127.0.0.1:1" };
        configure(options);
        using var connection = new RemoteTierConnection(Options.Create(options), NullLogger<RemoteTierConnection>.Instance);
        return connection.WriteBehindBlocks;
    }

    [Fact]
    public void A_configured_remote_writes_behind_by_default_through_four_windows() =>
        Assert.Equal(4 * 32, QueueBlocks(_ => { }));

    [Fact]
    public void Write_behind_can_be_turned_off() =>
        Assert.Equal(0, QueueBlocks(o => o.WriteBehind = false));
}
