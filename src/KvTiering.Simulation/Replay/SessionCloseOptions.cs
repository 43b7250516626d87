using System.Globalization;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// The session end an agent framework sends (the user closed the tab, the CLI exited, the sub-agent returned): replay
/// delivers <see cref="Eviction.SessionHint.Closed"/> for a session <see cref="DelaySeconds"/> after the response of its
/// last request in the trace ends (<c>kvtier simulate --close-hints</c>). The traces record no close, so the harness
/// derives it from the trace's own end of each session: this measures what the signal is worth, not a signal a server
/// has today.
/// </summary>
public sealed class SessionCloseOptions
{
    /// <summary>Seconds from the end of a session's last response to its close; 0 or more (default 0).</summary>
    public double DelaySeconds { get; init; }

    /// <summary>
    /// The share of sessions whose framework sends the close, in (0, 1] (default 1: every session). The others are
    /// abandoned silently. Which ones is fixed by <see cref="Seed"/> and the session number alone (a hash), so every
    /// policy of a run sees the same sessions close.
    /// </summary>
    public double Share { get; init; } = 1;

    /// <summary>Seeds the choice of the sessions that send the close when <see cref="Share"/> is below 1 (default 1).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The suffix a replay's policy label carries: <c>close60s</c>, or <c>close0s@0.5</c> when only a share closes.</summary>
    public string Label => Share >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"close{DelaySeconds}s")
        : string.Create(CultureInfo.InvariantCulture, $"close{DelaySeconds}s@{Share}");

    /// <summary>Whether the framework of <paramref name="session"/> sends its close (a seeded hash of the session number).</summary>
    public bool Closes(long session)
    {
        if (Share >= 1)
        {
            return true;
        }

        // SplitMix64's finaliser over the session number and the seed: a fixed function, the same on every runtime.
        ulong z = unchecked((ulong)session + (Seed * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < Share;
    }

    /// <summary>Throws when a setting is out of range, naming it and its value.</summary>
    public void Validate()
    {
        if (!(DelaySeconds >= 0) || double.IsInfinity(DelaySeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(DelaySeconds), DelaySeconds,
                $"A session's close comes 0 or more seconds after its last response ends (got {DelaySeconds}).");
        }

        if (!(Share > 0 && Share <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Share), Share,
                $"The share of sessions that send their close lies in (0, 1] (got {Share}).");
        }
    }
}
