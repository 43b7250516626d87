using Microsoft.Extensions.Logging;

namespace KvTiering.Tests.Tiers;

/// <summary>Keeps every message logged at or above <see cref="LogLevel.Information"/>, with its event name.</summary>
internal sealed class CapturingLogger : ILogger
{
    public List<(LogLevel Level, string? EventName, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, eventId.Name, formatter(state, exception)));
        }
    }
}
