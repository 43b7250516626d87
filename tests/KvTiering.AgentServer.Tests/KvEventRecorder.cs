using KvTiering.Events;
using KvTiering.KvEvents;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The library's subscriber (<see cref="ZmqKvEventSubscriber"/>, as a router runs it) on a server's KV events, recording
/// every event in arrival order, with waits for what a test expects to arrive.
/// </summary>
public sealed class KvEventRecorder : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<VllmKvEvent> _events = [];
    private readonly ZmqKvEventSubscriber _subscriber;

    public KvEventRecorder(string endpoint, string? replayEndpoint) =>
        _subscriber = new ZmqKvEventSubscriber(endpoint, replayEndpoint, "", Record, () => { });

    /// <summary>The events so far, in order.</summary>
    public IReadOnlyList<VllmKvEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Each stored block in <paramref name="medium"/>, with its parent, in the order published.</summary>
    public List<(ulong Hash, ulong? Parent)> Stored(string medium) =>
        [.. Events.Where(e => e.Kind == KvEventKind.Stored && e.Medium == medium)
            .SelectMany(e => e.BlockHashes.Select((h, i) => (h, i == 0 ? e.ParentBlockHash : e.BlockHashes[i - 1])))];

    /// <summary>Each removed block in <paramref name="medium"/>, in the order published.</summary>
    public List<ulong> Removed(string medium) =>
        [.. Events.Where(e => e.Kind == KvEventKind.Removed && e.Medium == medium).SelectMany(e => e.BlockHashes)];

    /// <summary>
    /// Waits until <paramref name="done"/> holds (polling every 20 ms), or fails after <paramref name="seconds"/>: a
    /// liveness bound, as long as the suite's other success-path waits, since a loaded 2-core runner can hold a NetMQ
    /// I/O thread for seconds; a state that never comes still fails.
    /// </summary>
    public async Task WaitUntil(Func<KvEventRecorder, bool> done, string what, int seconds = 60)
    {
        long deadline = Environment.TickCount64 + seconds * 1000L;
        while (!done(this))
        {
            Assert.True(Environment.TickCount64 < deadline, $"waited {seconds} s for {what}; saw {Describe()}");
            await Task.Delay(20);
        }
    }

    public string Describe() => string.Join("; ", Events.Select(e =>
        $"{e.Kind}({e.Medium}, {e.BlockHashes.Length} blocks{(e.ParentBlockHash is { } p ? $", parent {p}" : "")})"));

    public void Dispose() => _subscriber.Dispose();

    private void Record(VllmEventBatch batch)
    {
        lock (_gate)
        {
            _events.AddRange(batch.Events);
        }
    }
}
