using System.IO.Pipelines;
using KvTiering.Transfer.Protocol;

namespace KvTiering.Transfer;

/// <summary>
/// Tuning shared by both ends of a block stream: how much a pipe may buffer before the writer waits, and how long
/// either side waits for progress. Immutable once built; one instance may serve any number of transfers.
/// </summary>
public sealed class BlockTransferOptions
{
    /// <summary>The least a pipe holds before its writer pauses, whatever the block size.</summary>
    internal const long MinimumPauseBytes = 256 * 1024;

    private readonly int _pauseWriterFrames = 4;
    private readonly int _resumeWriterFrames = 2;
    private readonly TimeSpan _idleTimeout = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The defaults: pause at 4 frames, resume at 2, 30 s idle timeout, 10 s connect timeout.</summary>
    public static BlockTransferOptions Default { get; } = new();

    /// <summary>
    /// Frames a pipe may hold unread before its writer's flush waits (default 4). At least 2: a reader must be able
    /// to hold one whole frame while the next arrives, or a frame larger than the threshold would deadlock.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 2.</exception>
    public int PauseWriterFrames
    {
        get => _pauseWriterFrames;
        init
        {
            if (value < 2)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(PauseWriterFrames), value,
                    $"PauseWriterFrames {value} must be at least 2 so a whole frame fits below the pause threshold.");
            }

            _pauseWriterFrames = value;
        }
    }

    /// <summary>Frames left unread at which a paused writer resumes (default 2); at least 1 and below <see cref="PauseWriterFrames"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int ResumeWriterFrames
    {
        get => _resumeWriterFrames;
        init
        {
            if (value < 1)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(ResumeWriterFrames), value,
                    $"ResumeWriterFrames {value} must be at least 1.");
            }

            _resumeWriterFrames = value;
        }
    }

    /// <summary>
    /// Longest wait for any single read or flush to make progress (default 30 s); <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever. A transfer that stalls this long ends with <see cref="TransferFault.TimedOut"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (other than infinite).</exception>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        init => _idleTimeout = CheckTimeout(nameof(IdleTimeout), value);
    }

    /// <summary>Longest wait for a TCP connect (default 10 s); <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (other than infinite).</exception>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        init => _connectTimeout = CheckTimeout(nameof(ConnectTimeout), value);
    }

    /// <summary>
    /// Pipe options sized for blocks of <paramref name="blockBytes"/>: the writer pauses once
    /// <see cref="PauseWriterFrames"/> frames sit unread and resumes below <see cref="ResumeWriterFrames"/> frames
    /// (with floors of 256 KiB and 128 KiB, so small blocks do not stop and start the writer every few hundred
    /// bytes), and segments are as large as one frame (capped at 1 MiB) so most payloads land in one segment.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockBytes"/> is zero or negative, or resume is not below pause.</exception>
    public PipeOptions CreatePipeOptions(int blockBytes)
    {
        if (blockBytes < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(blockBytes), blockBytes, $"Block bytes {blockBytes} must be at least 1.");
        }

        if (_resumeWriterFrames >= _pauseWriterFrames)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(ResumeWriterFrames), _resumeWriterFrames,
                $"ResumeWriterFrames {_resumeWriterFrames} must be below PauseWriterFrames {_pauseWriterFrames}.");
        }

        long frame = WireFormat.FrameBytes(blockBytes);
        int segment = (int)Math.Clamp(frame, 4096, 1 << 20);
        return new PipeOptions(
            pauseWriterThreshold: Math.Max(_pauseWriterFrames * frame, MinimumPauseBytes),
            resumeWriterThreshold: Math.Max(_resumeWriterFrames * frame, MinimumPauseBytes / 2),
            minimumSegmentSize: segment,
            useSynchronizationContext: false);
    }

    private static TimeSpan CheckTimeout(string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} {value} must be positive or Timeout.InfiniteTimeSpan.");
        }

        return value;
    }
}
