using System.Collections.Concurrent;
using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// vLLM's <c>ZmqEventPublisher</c> as far as a subscriber can tell: an XPUB and a ROUTER bound on given loopback ports,
/// sequences chosen by the test (vLLM's start at 0 on every start), payloads on vLLM's wire format, and no greeting.
/// A restart is a new instance on the same ports. Its thread owns the sockets.
/// </summary>
internal sealed class FakeVllmPublisher : IDisposable
{
    private readonly ConcurrentQueue<(long Sequence, byte[] Payload, bool Live)> _outbox = new();
    private readonly ManualResetEventSlim _subscribed = new();
    private readonly ManualResetEventSlim _ready = new();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private Exception? _failure;

    /// <summary>Binds <c>tcp://127.0.0.1:ports[0]</c> (PUB) and <c>ports[1]</c> (replay).</summary>
    public FakeVllmPublisher(int[] ports)
    {
        Endpoint = $"tcp://127.0.0.1:{ports[0]}";
        ReplayEndpoint = $"tcp://127.0.0.1:{ports[1]}";
        _thread = new Thread(Run) { IsBackground = true, Name = "fake-vllm-publisher" };
        _thread.Start();
        _ready.Wait();
        if (_failure is not null)
        {
            throw _failure;
        }
    }

    public string Endpoint { get; }

    public string ReplayEndpoint { get; }

    /// <summary>Waits until a subscription has reached the XPUB socket.</summary>
    public bool WaitForSubscriber(TimeSpan timeout) => _subscribed.Wait(timeout);

    /// <summary>
    /// Buffers a batch for replay under <paramref name="sequence"/> and, when <paramref name="live"/>, sends it on PUB
    /// (a batch published while no subscriber was connected is buffered only).
    /// </summary>
    public void Publish(long sequence, bool live, params VllmKvEvent[] events) =>
        _outbox.Enqueue((sequence, VllmWireFormat.Encode(new VllmEventBatch(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, events, 0)), live));

    /// <summary>Waits until everything published has left the thread.</summary>
    public void Flush()
    {
        while (!_outbox.IsEmpty)
        {
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _subscribed.Dispose();
        _ready.Dispose();
    }

    private void Run()
    {
        XPublisherSocket pub;
        RouterSocket router;
        try
        {
            pub = new XPublisherSocket();
            ZmqEndpoints.BindSoon(pub, Endpoint); // a restart finds the port still closing for a few milliseconds
            router = new RouterSocket();
            ZmqEndpoints.BindSoon(router, ReplayEndpoint);
        }
        catch (NetMQException e)
        {
            _failure = e;
            _ready.Set();
            return;
        }

        _ready.Set();
        var buffer = new ReplayBuffer(100);
        using (pub)
        using (router)
        {
            while (!_stopping)
            {
                while (pub.TryReceiveFrameBytes(TimeSpan.Zero, out byte[]? frame))
                {
                    if (frame is [1, ..])
                    {
                        _subscribed.Set();
                    }
                }

                while (_outbox.TryDequeue(out (long Sequence, byte[] Payload, bool Live) batch))
                {
                    buffer.Add(batch.Sequence, batch.Payload);
                    if (batch.Live)
                    {
                        var seq = new byte[8];
                        BinaryPrimitives.WriteInt64BigEndian(seq, batch.Sequence);
                        pub.SendMoreFrameEmpty().SendMoreFrame(seq).SendFrame(batch.Payload);
                    }
                }

                buffer.Serve(router);
                Thread.Sleep(5);
            }
        }
    }
}
