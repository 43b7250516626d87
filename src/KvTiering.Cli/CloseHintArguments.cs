using System.Globalization;
using KvTiering.Simulation.Replay;

namespace KvTiering.Cli;

/// <summary>
/// The session-end options of <c>kvtier simulate</c>: <c>--close-hints DELAY</c> (tell the policies each session's end,
/// DELAY seconds after its last response ends), <c>--close-share P</c> (only a seeded share of sessions send it) and
/// <c>--close-seed N</c>. docs/harness.md, "Session ends".
/// </summary>
internal static class CloseHintArguments
{
    /// <summary>The options this class reads, for the command's option set.</summary>
    public static IEnumerable<System.CommandLine.Option> CreateOptions() =>
    [
        Arguments.Value("close-hints", "DELAY", "Tell policies that read hints each session's end (SessionHint.Closed), DELAY seconds (0 or more) after its last response in the trace ends, as an agent framework would when the user closes the session or a sub-agent returns. Off by default; works with or without --no-hints."),
        Arguments.Value("close-share", "P", "With --close-hints: only a share P in (0, 1] of the sessions (a seeded hash of the session number) send their close; the rest are abandoned silently. Default 1."),
        Arguments.Value("close-seed", "N", "With --close-share: the seed that picks the sessions that close (default 1)."),
    ];

    /// <summary>The session closes the options ask for, or null when <c>--close-hints</c> is absent.</summary>
    public static SessionCloseOptions? Parse(Arguments a)
    {
        string? delayText = a.Get("close-hints");
        if (delayText is null)
        {
            if (a.Has("close-share") || a.Has("close-seed"))
            {
                throw new CliException("--close-share and --close-seed need --close-hints DELAY (e.g. --close-hints 0 --close-share 0.5)");
            }

            return null;
        }

        if (!double.TryParse(delayText, NumberStyles.Float, CultureInfo.InvariantCulture, out double delay) || !double.IsFinite(delay) || delay < 0)
        {
            throw new CliException($"--close-hints '{delayText}' is not a delay in seconds of 0 or more (e.g. 0, 60, 300)");
        }

        double share = 1;
        if (a.Get("close-share") is { } shareText
            && (!double.TryParse(shareText, NumberStyles.Float, CultureInfo.InvariantCulture, out share) || !(share > 0 && share <= 1)))
        {
            throw new CliException($"--close-share '{shareText}' is not a share in (0, 1] (e.g. 0.5)");
        }

        ulong seed = 1;
        if (a.Get("close-seed") is { } seedText && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            throw new CliException($"--close-seed '{seedText}' is not a non-negative integer");
        }

        return new SessionCloseOptions { DelaySeconds = delay, Share = share, Seed = seed };
    }
}
