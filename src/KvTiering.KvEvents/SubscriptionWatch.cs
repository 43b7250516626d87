using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents;

/// <summary>
/// The publisher's view of its subscribers: the XPUB socket delivers each (un)subscription as a frame starting with 1
/// (subscribe) or 0 (unsubscribe); every subscription is greeted, and the first one ends a hold
/// (<see cref="ZmqKvEventPublisherOptions.HoldUntilSubscribed"/>). Used on the publisher's socket thread only, but
/// <see cref="Wait"/> from any thread.
/// </summary>
internal sealed class SubscriptionWatch(BatchSender sender, int? dataParallelRank) : IDisposable
{
    private readonly ManualResetEventSlim _subscribed = new();

    /// <summary>Whether any subscriber has subscribed.</summary>
    public bool IsSubscribed => _subscribed.IsSet;

    /// <summary>Waits until a subscriber has subscribed; false if none came within <paramref name="timeout"/>.</summary>
    public bool Wait(TimeSpan timeout) => _subscribed.Wait(timeout);

    /// <summary>Handles every subscription frame waiting on <paramref name="pub"/>, without blocking.</summary>
    public void Service(XPublisherSocket pub)
    {
        while (pub.TryReceiveFrameBytes(TimeSpan.Zero, out byte[]? frame))
        {
            Subscribed(pub, frame);
        }
    }

    /// <summary>
    /// Blocks on the XPUB socket until a subscription arrives, or for <paramref name="idle"/> at most (so replay
    /// requests, and <see cref="ZmqKvEventPublisher.WaitForSubscriber"/> ending the hold, are seen). It used to sleep
    /// 1 ms in a loop: 1,000 wake-ups a second.
    /// </summary>
    public void WaitOn(XPublisherSocket pub, TimeSpan idle)
    {
        if (pub.TryReceiveFrameBytes(idle, out byte[]? frame))
        {
            Subscribed(pub, frame);
        }
    }

    /// <summary>
    /// A subscription reached the XPUB socket: from now on every batch reaches that subscriber. It is greeted with an
    /// empty batch under the next sequence number, so a subscriber whose replay was answered before its subscription
    /// landed sees a gap if a batch went out in between, even if the publisher then stays idle (docs/kv-events.md §4).
    /// </summary>
    private void Subscribed(XPublisherSocket pub, byte[] frame)
    {
        if (frame.Length == 0 || frame[0] != 1)
        {
            return;
        }

        _subscribed.Set();
        if (sender.Sent > 0)
        {
            sender.Send(pub, new VllmEventBatch(ZmqKvEventPublisher.Now(), [], dataParallelRank)); // nothing sent before, nothing missed
        }
    }

    public void Dispose() => _subscribed.Dispose();
}
