using System.Buffers;
using System.Buffers.Binary;
using KvTiering.Events;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// A publisher whose replay socket answers late, as one stalled on a busy machine does: the subscriber waits longer than
/// the 2 s it used to, asks again when an answer does not come, says so in its log, and applies each batch once.
/// </summary>
public sealed class ReplayTimeoutTests
{
    [Fact]
    public void AReplayAnsweredAfterThreeSecondsIsStillApplied()
    {
        // Batches 5 and 6 went out before the subscriber; 7 goes out live while the replay is stalled.
        using var publisher = new StalledPublisher(stall: TimeSpan.FromSeconds(3), ignoreFirst: 0);
        var seen = new List<ulong>();
        using var subscriber = new ZmqKvEventSubscriber(publisher.Endpoint, publisher.ReplayEndpoint, "", b => Record(seen, b), () => { });
        Assert.True(SpinWait.SpinUntil(() => Count(seen) >= 3, TimeSpan.FromSeconds(60)), $"saw {string.Join(",", Snapshot(seen))}");
        Thread.Sleep(300); // the live copy of batch 7 has arrived by now
        Assert.Equal([5UL, 6UL, 7UL], Snapshot(seen)); // each once, whether 7 came first (a gap) or during the replay
        Assert.Equal(0, subscriber.Resets);
    }

    [Fact]
    public void AReplayThatTimesOutIsAskedAgainAndLogged()
    {
        using var publisher = new StalledPublisher(stall: TimeSpan.Zero, ignoreFirst: 1); // the first request is lost
        var log = new ListLogger();
        var seen = new List<ulong>();
        // Ten attempts, not the default three: after the lost first request each later attempt has 500 ms for a fresh
        // socket's connect, the publisher thread's answer and its receipt, which a loaded machine can take; with three,
        // two slow answers in a row ended the replay and the subscriber resynced (Resets 1). The lost request is still
        // what the test shows: its timeout is logged as attempt 1, and every batch is applied once.
        var options = new ZmqKvEventSubscriberOptions
        {
            ReplayEndpoint = publisher.ReplayEndpoint,
            ReplayTimeout = TimeSpan.FromMilliseconds(500),
            ReplayAttempts = 10,
        };
        using var subscriber = new ZmqKvEventSubscriber(publisher.Endpoint, options, b => Record(seen, b), () => { }, log);
        Assert.True(SpinWait.SpinUntil(() => Count(seen) >= 3, TimeSpan.FromSeconds(60)), $"saw {string.Join(",", Snapshot(seen))}");
        Thread.Sleep(300);
        Assert.Equal([5UL, 6UL, 7UL], Snapshot(seen));
        Assert.Equal(0, subscriber.Resets);
        Assert.Contains(log.Entries, e => e.Id == 310 && e.Level == LogLevel.Warning
            && e.Message.Contains("went 00:00:00.5000000 without a reply (attempt 1 of 10)", StringComparison.Ordinal));
    }

    private static void Record(List<ulong> seen, VllmEventBatch batch)
    {
        lock (seen)
        {
            seen.AddRange(batch.Events.SelectMany(e => e.BlockHashes));
        }
    }

    private static int Count(List<ulong> seen)
    {
        lock (seen)
        {
            return seen.Count;
        }
    }

    private static ulong[] Snapshot(List<ulong> seen)
    {
        lock (seen)
        {
            return [.. seen];
        }
    }

    /// <summary>
    /// vLLM's publisher protocol in miniature, with a replay socket that drops the first <c>ignoreFirst</c> requests and
    /// answers the others <c>stall</c> late. Batch n stores block n; 5 and 6 are published before anyone subscribes, 7
    /// once a subscriber has.
    /// </summary>
    private sealed class StalledPublisher : IDisposable
    {
        private readonly XPublisherSocket _pub = new();
        private readonly RouterSocket _router = new();
        private readonly Thread _thread;
        private readonly TimeSpan _stall;
        private readonly SortedDictionary<long, byte[]> _sent = [];
        private int _ignore;
        private volatile bool _stopping;

        public StalledPublisher(TimeSpan stall, int ignoreFirst)
        {
            (_stall, _ignore) = (stall, ignoreFirst);
            _pub.Bind("tcp://127.0.0.1:*");
            _router.Bind("tcp://127.0.0.1:*");
            Endpoint = _pub.Options.LastEndpoint!;
            ReplayEndpoint = _router.Options.LastEndpoint!;
            Publish(5);
            Publish(6);
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Start();
        }

        public string Endpoint { get; }

        public string ReplayEndpoint { get; }

        public void Dispose()
        {
            _stopping = true;
            _thread.Join();
            _pub.Dispose();
            _router.Dispose();
        }

        private void Run()
        {
            bool live = false;
            var request = new NetMQMessage();
            while (!_stopping)
            {
                if (!live && _pub.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(10), out byte[]? frame) && frame[0] == 1)
                {
                    Publish(7);
                    live = true;
                }

                if (!_router.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(10), ref request) || _ignore-- > 0)
                {
                    continue;
                }

                Thread.Sleep(_stall); // the publisher's thread is busy: the answer waits
                long start = BinaryPrimitives.ReadInt64BigEndian(request[2].Buffer);
                foreach ((long sequence, byte[] payload) in _sent.Where(b => b.Key >= start))
                {
                    _router.SendMoreFrame(request[0].ToByteArray()).SendMoreFrameEmpty().SendMoreFrame(Sequence(sequence)).SendFrame(payload);
                }

                _router.SendMoreFrame(request[0].ToByteArray()).SendMoreFrameEmpty().SendMoreFrame(Sequence(-1)).SendFrame([]);
            }
        }

        private void Publish(long sequence)
        {
            var buffer = new ArrayBufferWriter<byte>();
            VllmWireFormat.Write(new VllmEventBatch(1.0, [new VllmKvEvent(KvEventKind.Stored, [(ulong)sequence], BlockSize: 16)]), buffer);
            _sent[sequence] = buffer.WrittenSpan.ToArray();
            _pub.SendMoreFrame([]).SendMoreFrame(Sequence(sequence)).SendFrame(_sent[sequence]);
        }

        private static byte[] Sequence(long sequence)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
            return bytes;
        }
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(int Id, LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(int Id, LogLevel Level, string Message)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
