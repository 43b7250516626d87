using StackExchange.Redis;

namespace KvTiering.Redis.Tests;

/// <summary>One embedded server and one connection, shared by a test class whose tests do not kill the server.</summary>
public sealed class GarnetFixture : IDisposable
{
    public GarnetFixture()
    {
        Server = new GarnetTestServer();
        Connection = RedisTier.Connect(new RedisTierOptions
        {
            Configuration = Server.Configuration,
            OperationTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });
    }

    public GarnetTestServer Server { get; }

    public ConnectionMultiplexer Connection { get; }

    /// <summary>Direct access to the server, to inspect or tamper with values.</summary>
    public IDatabase Database => Connection.GetDatabase();

    public void Dispose()
    {
        Connection.Dispose();
        Server.Dispose();
    }
}
