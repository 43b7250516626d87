namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A misspelt setting stops the start with the name it did not know and the one it is closest to, as kvtier's usage
/// errors do: AgentServer's, the store's (KvTiering, checked by AddKvTiering), KV events' (KvTiering:KvEvents) and the
/// remote tier's (KvTiering:Redis). It
/// used to be ignored, so the server ran with the default the user meant to change.
/// </summary>
public sealed class UnknownSettingTests
{
    [Theory]
    [InlineData("--AgentServer:Sequence=4", "AgentServer:Sequence is not a setting (did you mean 'Sequences'?); the AgentServer settings are ModelPath, Preset,")]
    [InlineData("--KvTiering:MemoryByte=1048576", "KvTiering:MemoryByte is not a setting (did you mean 'MemoryBytes'?); the KvTiering settings are Model,")]
    [InlineData("--KvTiering:KvEvents:Endpiont=tcp://*:5557", "KvTiering:KvEvents:Endpiont is not a setting (did you mean 'Endpoint'?); the KvTiering:KvEvents settings are Endpoint,")]
    [InlineData("--KvTiering:Redis:Configuraton=127.0.0.1:6379", "KvTiering:Redis:Configuraton is not a setting (did you mean 'Configuration'?); the KvTiering:Redis settings are Configuration,")]
    public async Task AMisspeltSettingIsNamedWithASuggestionAndExitCode2(string argument, string expected)
    {
        (int rc, string errors) = await ServerProcess.RunToExitAsync(argument);
        Assert.Equal(2, rc);
        Assert.StartsWith("AgentServer: ", errors, StringComparison.Ordinal);
        Assert.Contains(expected, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }
}
