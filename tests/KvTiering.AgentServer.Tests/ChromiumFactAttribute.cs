namespace KvTiering.AgentServer.Tests;

/// <summary>A fact that needs a system Chromium (Debian's <c>chromium</c> package); skipped, with the reason, where none is installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where Debian's package installs the browser (<c>.ci/run</c> installs it).</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
        {
            Skip = $"No browser at {ExecutablePath}: install Debian's chromium package (apt-get install -y chromium), as .ci/run does.";
        }
    }
}
