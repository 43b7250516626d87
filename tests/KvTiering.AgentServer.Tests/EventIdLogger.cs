using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KvTiering.AgentServer.Tests;

/// <summary>A logger that keeps the id of every event logged, for tests that ask whether something was logged.</summary>
internal sealed class EventIdLogger : ILogger
{
    private readonly ConcurrentQueue<int> _ids = new();

    /// <summary>Whether an event with <paramref name="id"/> was logged.</summary>
    public bool Logged(int id) => _ids.Contains(id);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _ids.Enqueue(eventId.Id);
}
