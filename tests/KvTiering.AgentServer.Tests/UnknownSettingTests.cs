namespace KvTiering.AgentServer.Tests;

/// <summary>
/// A misspelt AgentServer setting stops the start with the name it did not know, as kvtier's usage errors do; it used
/// to be ignored, so the server ran with the default the user meant to change.
/// </summary>
public sealed class UnknownSettingTests
{
    [Fact]
    public async Task AMisspeltSettingIsNamedAndExitCode2()
    {
        (int rc, string errors) = await ServerProcess.RunToExitAsync("--AgentServer:Sequence=4");
        Assert.Equal(2, rc);
        Assert.StartsWith("AgentServer: ", errors, StringComparison.Ordinal);
        Assert.Contains("AgentServer:Sequence is not a setting; the AgentServer settings are ModelPath, Preset,", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }
}
