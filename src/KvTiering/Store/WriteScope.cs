using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>
/// The store's lock plus the seqlock's odd window around a change, released together by <c>using</c>; entering drains
/// the queued lock-free hits first, so the policies see every access before the change they may decide.
/// </summary>
internal ref struct WriteScope
{
    private readonly TopTierReader? _reader; // null: a TryEnter that did not get the lock, nothing to release
    private readonly LockHoldRecorder? _recorder; // set only while lock holds are recorded (LockHolds)
    private readonly string? _site;
    private readonly long _asked;
    private readonly long _held;

    public WriteScope(TopTierReader reader, [CallerMemberName] string site = "", [CallerFilePath] string file = "")
    {
        long asked = LockHolds.Recorder is null ? 0 : Stopwatch.GetTimestamp();
        reader.Lock.Enter();
        this = new WriteScope(reader, site, file, asked);
    }

    /// <summary>With the lock held: records from here when holds are recorded (<paramref name="asked"/> 0: no wait).</summary>
    private WriteScope(TopTierReader reader, string site, string file, long asked)
    {
        _recorder = LockHolds.Recorder;
        if (_recorder is not null)
        {
            _site = Path.GetFileNameWithoutExtension(file) + "." + site;
            _held = Stopwatch.GetTimestamp();
            _asked = asked == 0 ? _held : asked;
        }

        _reader = reader;
        Open(reader);
    }

    /// <summary>Enters only if the lock is free right now; otherwise false, and <paramref name="scope"/> holds nothing.</summary>
    public static bool TryEnter(TopTierReader reader, out WriteScope scope, [CallerMemberName] string site = "",
        [CallerFilePath] string file = "")
    {
        if (!reader.Lock.TryEnter())
        {
            scope = default;
            return false;
        }

        scope = new WriteScope(reader, site, file, asked: 0);
        return true;
    }

    private static void Open(TopTierReader reader)
    {
        reader.Drain();
        reader.BeginWrite();
    }

    public readonly void Dispose()
    {
        if (_reader is null)
        {
            return;
        }

        _reader.EndWrite();
        _reader.Lock.Exit();
        _recorder?.Record(_site!, _held - _asked, Stopwatch.GetTimestamp() - _held);
    }
}
