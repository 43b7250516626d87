using System.Diagnostics;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Benchmarks.Contention;

/// <summary>Thread B: puts new blocks (their victims demote) and every other operation reads an older one back (it promotes).</summary>
internal sealed class Mover
{
    private readonly TieredKvStore _store;
    private readonly ContentionBlocks _blocks;
    private readonly int _window;
    private readonly byte[] _buffer;
    private readonly byte[] _payload;
    private int _next = 1_000_000;
    private volatile bool _stop;
    private Thread? _thread;

    public Mover(TieredKvStore store, ContentionBlocks blocks, int lower)
    {
        _store = store;
        _blocks = blocks;
        _window = lower / 2;
        _buffer = new byte[blocks.BlockBytes];
        _payload = new byte[blocks.BlockBytes];
    }

    public long Verified { get; private set; }

    /// <summary>Runs steps for a millisecond, then sleeps one (half duty), instead of at full speed.</summary>
    public bool Paced { get; set; }

    public long Mismatches { get; private set; }

    public IDisposable Start()
    {
        _stop = false;
        _thread = new Thread(() =>
        {
            var rng = new Random(7);
            bool paced = Paced;
            long on = Stopwatch.GetTimestamp();
            while (!_stop)
            {
                Step(rng, null);
                if (paced && Stopwatch.GetTimestamp() - on >= Stopwatch.Frequency / 1000)
                {
                    Thread.Sleep(1);
                    on = Stopwatch.GetTimestamp();
                }
            }
        })
        { Name = "mover" };
        _thread.Start();
        return new Stopper(this);
    }

    public Series Alone(double seconds)
    {
        var series = new Series();
        var rng = new Random(7);
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            Step(rng, series);
        }

        return series;
    }

    private void Step(Random rng, Series? puts)
    {
        int id = _next++;
        byte[] payload = _blocks.Fill(id, _payload);
        long t0 = Stopwatch.GetTimestamp();
        _store.Put(ContentionBlocks.Key(id), BlockKey.Empty, payload);
        puts?.Add(Stopwatch.GetTimestamp() - t0);
        int back = id - 1 - rng.Next(Math.Min(_window, id - 1_000_000 + 1));
        if (back >= 1_000_000 && _store.TryGet(ContentionBlocks.Key(back), _buffer, out int written))
        {
            if (ContentionBlocks.Matches(back, _blocks.Base, _buffer.AsSpan(0, written)))
            {
                Verified++;
            }
            else
            {
                Mismatches++;
            }
        }
    }

    private sealed class Stopper(Mover mover) : IDisposable
    {
        public void Dispose()
        {
            mover._stop = true;
            mover._thread!.Join();
        }
    }
}
