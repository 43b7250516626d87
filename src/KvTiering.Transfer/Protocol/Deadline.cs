namespace KvTiering.Transfer.Protocol;

/// <summary>
/// An idle timeout over one transfer: every read or flush restarts it, so a transfer may run as long as it keeps
/// moving, and the caller's token still cancels at any time.
/// </summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _caller;

    public Deadline(TimeSpan timeout, CancellationToken caller)
    {
        Timeout = timeout;
        _caller = caller;
        _source = CancellationTokenSource.CreateLinkedTokenSource(caller);
    }

    /// <summary>The idle timeout.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled by the caller or by the timer.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the timer, not the caller, cancelled <see cref="Token"/>.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Re-arms the timer for another <see cref="Timeout"/>.</summary>
    public void Restart()
    {
        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            _source.CancelAfter(Timeout);
        }
    }

    public void Dispose() => _source.Dispose();
}
