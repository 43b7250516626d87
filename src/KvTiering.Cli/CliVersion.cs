using System.Reflection;

namespace KvTiering.Cli;

/// <summary>kvtier's version, as <c>--version</c> prints it and the JSON records it.</summary>
internal static class CliVersion
{
    public static string Text { get; } =
        typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
