namespace KvTiering.AgentServer.Tests;

/// <summary>
/// Tests that drive store traffic as fast as a core allows (to overflow the publisher's queue): they run alone, after
/// the parallel ones, so they do not starve tests that give a shutdown a fixed time to publish.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StoreTrafficTests
{
    public const string Name = "store-traffic";
}
