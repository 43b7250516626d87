using System.Threading.Channels;

namespace KvTiering.Events;

/// <summary>
/// One subscriber's bounded queue of a store's events. The store never waits for it: when the queue is full the event
/// is dropped, counted in <see cref="Dropped"/>, and the subscriber sees a gap in <see cref="KvEvent.Sequence"/>.
/// </summary>
public sealed class KvEventSubscription : IDisposable
{
    private readonly Channel<KvEvent> _channel;
    private readonly KvEventFeed _owner;
    private long _next;
    private long _dropped;

    internal KvEventSubscription(KvEventFeed owner, int capacity)
    {
        _owner = owner;
        Capacity = capacity;
        _channel = Channel.CreateBounded<KvEvent>(new BoundedChannelOptions(capacity)
        {
            // Wait mode makes TryWrite fail when full instead of silently dropping, so the loss is counted here.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>How many events the queue holds before it drops.</summary>
    public int Capacity { get; }

    /// <summary>The events, in order.</summary>
    public ChannelReader<KvEvent> Reader => _channel.Reader;

    /// <summary>Events dropped because the queue was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Events offered so far (delivered or dropped): the next event's sequence number.</summary>
    public long Offered => Volatile.Read(ref _next);

    /// <summary>Stops the subscription; the reader completes once the queued events are read.</summary>
    public void Dispose()
    {
        _owner.Unsubscribe(this);
        _channel.Writer.TryComplete();
    }

    internal void Offer(KvEventKind kind, in Blocks.BlockKey key, in Blocks.BlockKey parent, int tier, Tiers.TierKind medium)
    {
        long sequence = Interlocked.Increment(ref _next) - 1;
        if (!_channel.Writer.TryWrite(new KvEvent(sequence, kind, key, parent, tier, medium)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}
