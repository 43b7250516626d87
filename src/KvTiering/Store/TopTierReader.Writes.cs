using System.Runtime.CompilerServices;

namespace KvTiering.Store;

/// <summary>The writers' side: the lock, the seqlock's windows, payload copies announced to disposal, and the queued hits' drain.</summary>
internal sealed partial class TopTierReader
{
    /// <summary>Takes the lock for a change lock-free readers must not see half done; drains queued hits first.</summary>
    public WriteScope EnterWrite([CallerMemberName] string site = "", [CallerFilePath] string file = "") => new(this, site, file);

    /// <summary>Marks the start of a change (odd version). Call under the lock.</summary>
    public void BeginWrite() => _seq.BeginWrite();

    /// <summary>Marks the end of a change (even version). Call under the lock.</summary>
    public void EndWrite() => _seq.EndWrite();

    /// <summary>Ends the odd window for a byte copy readers may overlap; see <see cref="SeqLock.Pause"/>.</summary>
    public bool Pause() => _seq.Pause();

    /// <summary>Reopens the odd window <see cref="Pause"/> closed.</summary>
    public void Resume(bool paused) => _seq.Resume(paused);

    /// <summary>Announces a payload copy outside the lock; <see cref="MarkDisposed"/> waits for it to end.</summary>
    public void EnterReader() => _seq.EnterReader();

    /// <summary>Ends a payload copy announced by <see cref="EnterReader"/>.</summary>
    public void ExitReader() => _seq.ExitReader();

    /// <summary>Marks the store disposed and waits out payload copies that began before. Call under the lock, odd.</summary>
    public void MarkDisposed()
    {
        _disposed = true;
        _seq.WaitForReaders();
    }

    /// <summary>Tells the policies about every queued lock-free hit and books what they counted. Call under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drain()
    {
        if (!_queued.IsEmpty)
        {
            _queued.Drain(_seq.Version);
        }
    }

    /// <summary>Drains the queued hits and folds the striped lock-free counts in, before a statistics snapshot.</summary>
    public void DrainAndFold()
    {
        Drain();
        _counters.Fold(ref _lockFreeCounts, _top);
    }
}
