namespace KvTiering.Simulation.Replay;

/// <summary>
/// The trace's clock as a <see cref="TimeProvider"/>: the replayer sets it to each request's arrival time (and each
/// hint's delivery time), and the store reads it like any clock, so a replay drives the very code path a server does.
/// </summary>
/// <remarks>
/// Ticks are 2^-32 s: a power of two, so setting a time and reading it back as timestamp / frequency loses at most
/// the bits below a quarter nanosecond, and traces up to 2^31 s long fit a <see cref="long"/>.
/// </remarks>
internal sealed class ReplayClock : TimeProvider
{
    private const long Frequency = 1L << 32;
    private long _ticks;

    /// <inheritdoc/>
    public override long TimestampFrequency => Frequency;

    /// <summary>Sets the clock to <paramref name="seconds"/> since the replay began.</summary>
    public void Set(double seconds)
    {
        if (!(seconds >= 0 && seconds < long.MaxValue / Frequency))
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"Replay time {seconds} s must lie in [0, 2^31) s.");
        }

        _ticks = (long)Math.Round(seconds * Frequency);
    }

    /// <inheritdoc/>
    public override long GetTimestamp() => _ticks;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(_ticks / (double)Frequency);
}
