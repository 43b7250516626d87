namespace KvTiering.Cli;

/// <summary>A usage error: printed as one line, exit code 2, no stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
