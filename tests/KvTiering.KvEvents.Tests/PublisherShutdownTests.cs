using System.Collections.Concurrent;
using System.Threading.Channels;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.Tiers;
using Microsoft.Extensions.Logging;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A publisher's shutdown waits <see cref="ZmqKvEventPublisherOptions.FlushTimeout"/> for its queue, not a fixed 2 s,
/// and says how many events it could not publish instead of dropping them silently.
/// </summary>
public sealed class PublisherShutdownTests
{
    [Fact]
    public void Events_still_queued_when_the_flush_timeout_ends_are_counted_in_a_warning()
    {
        Channel<KvEvent> events = Channel.CreateUnbounded<KvEvent>();
        var log = new ListLogger();
        var publisher = new ZmqKvEventPublisher(events.Reader, 16, new ZmqKvEventPublisherOptions
        {
            Endpoint = "tcp://127.0.0.1:*",
            HoldUntilSubscribed = true, // nobody subscribes, so nothing is published: the queue cannot drain
            FlushTimeout = TimeSpan.FromMilliseconds(50),
        }, log);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(events.Writer.TryWrite(Stored(i)));
        }

        publisher.Dispose();

        (LogLevel level, EventId id, string message) = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal(new EventId(313, "KvEventsDroppedAtShutdown"), id);
        Assert.StartsWith($"KV events: 5 events were still queued when the publisher on {publisher.Endpoint} stopped", message, StringComparison.Ordinal);
        Assert.Contains("FlushTimeout 00:00:00.0500000", message, StringComparison.Ordinal);
        Assert.Equal(0, publisher.EventsPublished);
    }

    [Fact]
    public void A_publisher_that_drains_in_time_logs_nothing()
    {
        Channel<KvEvent> events = Channel.CreateUnbounded<KvEvent>();
        var log = new ListLogger();
        var publisher = new ZmqKvEventPublisher(events.Reader, 16, new ZmqKvEventPublisherOptions { Endpoint = "tcp://127.0.0.1:*" }, log);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(events.Writer.TryWrite(Stored(i)));
        }

        Assert.True(SpinWait.SpinUntil(() => publisher.EventsPublished == 5, TimeSpan.FromSeconds(60)));
        publisher.Dispose();

        Assert.Empty(log.Entries);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue + 1L)]
    public void A_flush_timeout_out_of_range_is_refused_naming_it(long milliseconds)
    {
        var options = new ZmqKvEventPublisherOptions { Endpoint = "tcp://127.0.0.1:*", FlushTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ZmqKvEventPublisher(Channel.CreateUnbounded<KvEvent>().Reader, 16, options));

        Assert.Equal(nameof(ZmqKvEventPublisherOptions.FlushTimeout), ex.ParamName);
        Assert.Contains($"FlushTimeout {options.FlushTimeout} must be zero or positive", ex.Message, StringComparison.Ordinal);
    }

    private static KvEvent Stored(int i) =>
        new(0, KvEventKind.Stored, new BlockKey((ulong)i + 1, 7), BlockKey.Empty, 0, TierKind.Dram);

    /// <summary>Every entry logged: level, id and formatted message.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel, EventId, string)> _entries = new();

        public IReadOnlyCollection<(LogLevel Level, EventId Id, string Message)> Entries => _entries;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, eventId, formatter(state, exception)));
    }
}
