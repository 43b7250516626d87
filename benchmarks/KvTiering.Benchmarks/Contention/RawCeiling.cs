using System.Diagnostics;
using System.Runtime.InteropServices;
using KvTiering.Devices;
using KvTiering.Store;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// The machine's own ceiling for the hit rows, measured in the same run: the hit thread's loop as a raw copy of the
/// same block size out of a native slab of the top tier's footprint (each copy checked, as the store's hits are),
/// alone, beside a raw "mover" that copies as many bytes per step as the store's mover does, without any store, and,
/// for a flash lower tier, beside that mover plus a raw O_DIRECT writer (the write-behind worker's work: a copy into an
/// aligned buffer and a direct write). If two copy loops alone already halve the hit's throughput, the store's ratio
/// is measured against that.
/// </summary>
internal sealed unsafe class RawCeiling : IDisposable
{
    private const int HotBlocks = 8;

    private readonly ContentionBlocks _blocks;
    private readonly int _top;
    private readonly int _lower;
    private readonly byte* _hits;   // the top tier's footprint; the hot blocks in its first slots
    private readonly byte* _moves;  // the mover's top + lower footprint
    private readonly string? _flashFile;
    private readonly int _nice;
    private readonly int? _cpu;
    private volatile bool _stop;

    /// <param name="nice">The raw direct writer's nice value, as the store's worker's (0: unchanged).</param>
    public RawCeiling(ContentionBlocks blocks, int top, int lower, string? flashDir, int nice, int? cpu = null)
    {
        _nice = nice;
        _cpu = cpu;
        _blocks = blocks;
        _top = top;
        _lower = lower;
        nuint block = (nuint)blocks.BlockBytes;
        _hits = (byte*)NativeMemory.AlignedAlloc(block * (nuint)top, 4096);
        _moves = (byte*)NativeMemory.AlignedAlloc(block * (nuint)(top + lower), 4096);
        NativeMemory.Clear(_moves, block * (nuint)(top + lower));
        for (int i = 0; i < top; i++)
        {
            blocks.Fill(i).CopyTo(Slot(_hits, i));
        }

        if (flashDir is not null)
        {
            Directory.CreateDirectory(flashDir);
            _flashFile = Path.Combine(flashDir, "raw-direct.bin");
            using FileStream file = File.Create(_flashFile);
            file.SetLength((long)blocks.BlockBytes * lower);
        }
    }

    /// <summary>The raw hit loop alone, beside the raw mover, and (flash) beside the mover and a raw direct writer.</summary>
    public (Series Alone, Series Mover, Series? MoverAndWriter) Measure(double seconds)
    {
        Series alone = Hits(seconds, mover: false, writer: false);
        Series mover = Hits(seconds, mover: true, writer: false);
        Series? both = _flashFile is null ? null : Hits(seconds, mover: true, writer: true);
        return (alone, mover, both);
    }

    private Series Hits(double seconds, bool mover, bool writer)
    {
        _stop = false;
        var threads = new List<Thread>();
        if (mover)
        {
            threads.Add(new Thread(Mover) { Name = "raw mover" });
        }

        if (writer)
        {
            threads.Add(new Thread(DirectWriter) { Name = "raw direct writer" });
        }

        threads.ForEach(t => t.Start());
        using IDisposable? pinned = HitCpu.Pin(_cpu); // after the threads started: they keep every CPU
        var series = new Series();
        var buffer = new byte[_blocks.BlockBytes];
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int i = 0; Stopwatch.GetTimestamp() < end; i++)
        {
            int id = i % HotBlocks;
            long t0 = Stopwatch.GetTimestamp();
            Slot(_hits, id).CopyTo(buffer);
            long t1 = Stopwatch.GetTimestamp();
            _blocks.Check(id, buffer);
            series.Add(t1 - t0);
        }

        _stop = true;
        threads.ForEach(t => t.Join());
        return series;
    }

    /// <summary>
    /// The store mover's bytes per step, no store: fill a payload, copy it into a top slot, demote a top slot into a
    /// lower one, read a lower slot back and check it, promote it into a top slot, demote that slot's previous block.
    /// </summary>
    private void Mover()
    {
        var payload = new byte[_blocks.BlockBytes];
        var back = new byte[_blocks.BlockBytes];
        var rng = new Random(7);
        for (int step = 0; !_stop; step++)
        {
            int top = step % _top;
            int lower = _top + (step % _lower);
            _blocks.Fill(1_000_000 + step, payload);
            Slot(_moves, lower).CopyTo(Slot(_moves, _top + ((step + 1) % _lower))); // the victim's demotion
            payload.CopyTo(Slot(_moves, top));                                          // the put
            int source = _top + rng.Next(_lower);
            Slot(_moves, source).CopyTo(back);                                          // the read back
            _ = Slot(_moves, source).SequenceEqual(back);                               // its check reads two blocks
            Slot(_moves, (top + 1) % _top).CopyTo(Slot(_moves, lower));                 // the promotion's victim
            back.CopyTo(Slot(_moves, (top + 1) % _top));                                // the promotion
        }
    }

    /// <summary>The write-behind worker's work, no store: copy a block into an aligned buffer, write it with O_DIRECT.</summary>
    private void DirectWriter()
    {
        using SafeFileHandle? handle = DirectFile.TryOpen(_flashFile!, refuse: false, out string? reason)
            ?? throw new InvalidOperationException($"raw direct writer: {reason}");
        if (_nice > 0 && BackgroundPriority.TryLowerCurrentThread(_nice) is { } refused)
        {
            throw new InvalidOperationException($"raw direct writer: {refused}");
        }

        int bytes = _blocks.BlockBytes;
        byte* aligned = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            var span = new Span<byte>(aligned, bytes);
            for (int step = 0; !_stop; step++)
            {
                Slot(_moves, _top + (step % _lower)).CopyTo(span);
                RandomAccess.Write(handle, new ReadOnlySpan<byte>(aligned, bytes), (long)bytes * (step % _lower));
            }
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
        }
    }

    private Span<byte> Slot(byte* slab, int slot) => new(slab + ((long)slot * _blocks.BlockBytes), _blocks.BlockBytes);

    public void Dispose()
    {
        NativeMemory.AlignedFree(_hits);
        NativeMemory.AlignedFree(_moves);
        if (_flashFile is not null)
        {
            File.Delete(_flashFile);
        }
    }
}
