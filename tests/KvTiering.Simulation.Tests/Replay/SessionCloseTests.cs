using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>The harness's session ends (<see cref="SessionCloseOptions"/>, <c>kvtier simulate --close-hints</c>).</summary>
public sealed class SessionCloseTests
{
    [Fact]
    public void A_session_is_closed_its_delay_after_its_last_response_ends_and_not_before()
    {
        // Session 1 asks at 0 s (response 2 s, a tool call) and again at 5 s (response 2 s, the end of its turn): only the
        // second is its last, so it closes at 5 + 2 + 10 = 17 s. Session 2's only request (1 s, response 3 s) closes at
        // 14 s, session 3's (20 s, no response time recorded) at 30 s; each after its turn end, in time order.
        Trace trace = Build(
            (0, 1, [0], TurnEnd.ToolCall, 2),
            (1, 2, [1], TurnEnd.EndOfTurn, 3),
            (5, 1, [0, 2], TurnEnd.EndOfTurn, 2),
            (20, 3, [3], TurnEnd.EndOfTurn, 0));

        (List<string> log, ReplayResult result) = Replay(trace, hints: true, new SessionCloseOptions { DelaySeconds = 10 });

        Assert.Equal(
        [
            "insert s1 @0", "insert s2 @1", "hint s1 Paused @2", "hint s2 AwaitingUser @4", "insert s1 @5",
            "hint s1 AwaitingUser @7", "hint s2 Closed @14", "hint s1 Closed @17", "insert s3 @20", "hint s3 AwaitingUser @20",
            "hint s3 Closed @30",
        ], log);
        Assert.Equal("close-recorder+hints+close10s", result.Policy);
    }

    [Fact]
    public void At_delay_zero_the_close_follows_the_turn_end_it_closes()
    {
        Trace trace = Build((0, 1, [0], TurnEnd.EndOfTurn, 4), (1, 2, [1], TurnEnd.ToolCall, 4));

        (List<string> log, _) = Replay(trace, hints: true, new SessionCloseOptions());

        Assert.Equal(["insert s1 @0", "insert s2 @1", "hint s1 AwaitingUser @4", "hint s1 Closed @4", "hint s2 Paused @5", "hint s2 Closed @5"], log);
    }

    [Fact]
    public void Without_turn_end_hints_only_the_closes_arrive_and_no_session_0_is_closed()
    {
        // --no-hints --close-hints 0: a server that knows only the session end. Session 0 (no session) is never closed.
        Trace trace = Build((0, 1, [0], TurnEnd.ToolCall, 2), (1, 0, [1], TurnEnd.EndOfTurn, 1), (3, 1, [0, 2], TurnEnd.EndOfTurn, 2));

        (List<string> log, ReplayResult result) = Replay(trace, hints: false, new SessionCloseOptions());

        Assert.Equal(["insert s1 @0", "insert s0 @1", "insert s1 @3", "hint s1 Closed @5"], log);
        Assert.Equal("close-recorder+close0s", result.Policy);
    }

    [Fact]
    public void Without_close_options_nothing_is_closed()
    {
        Trace trace = Build((0, 1, [0], TurnEnd.EndOfTurn, 2), (5, 2, [1], TurnEnd.ToolCall, 2));

        (List<string> log, ReplayResult result) = Replay(trace, hints: true, close: null);

        Assert.DoesNotContain(log, e => e.Contains("Closed", StringComparison.Ordinal));
        Assert.Equal("close-recorder+hints", result.Policy);
        Assert.Null(new ReplayOptions { Policy = EvictionPolicy.Lru }.Close);
    }

    [Fact]
    public void A_policy_that_reads_no_hints_keeps_its_plain_label()
    {
        Trace trace = Build((0, 1, [0], TurnEnd.EndOfTurn, 2));
        ReplayResult result = Replayer.Run(trace, new ReplayOptions
        {
            Policy = EvictionPolicy.Lru, CapacityBlocks = 4, Close = new SessionCloseOptions { DelaySeconds = 60 },
        });

        Assert.Equal("lru", result.Policy);
    }

    [Fact]
    public void A_share_closes_a_seeded_part_of_the_sessions()
    {
        // 400 sessions of one request each: about half close at share 0.5, the same ones for the same seed, others for another.
        var rows = Enumerable.Range(1, 400).Select(s => ((double)s, (long)s, new[] { s }, TurnEnd.EndOfTurn, 1.0)).ToArray();
        Trace trace = Build(rows);

        HashSet<string> first = Closed(Replay(trace, hints: false, new SessionCloseOptions { Share = 0.5 }).Log);
        HashSet<string> again = Closed(Replay(trace, hints: false, new SessionCloseOptions { Share = 0.5 }).Log);
        HashSet<string> other = Closed(Replay(trace, hints: false, new SessionCloseOptions { Share = 0.5, Seed = 2 }).Log);
        HashSet<string> all = Closed(Replay(trace, hints: false, new SessionCloseOptions()).Log);

        Assert.InRange(first.Count, 160, 240);
        Assert.True(first.SetEquals(again));
        Assert.False(first.SetEquals(other));
        Assert.Equal(400, all.Count);
        Assert.Equal("close0s@0.5", new SessionCloseOptions { Share = 0.5 }.Label);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(double.PositiveInfinity, 1)]
    [InlineData(0, 0)]
    [InlineData(0, 1.5)]
    [InlineData(0, double.NaN)]
    public void A_bad_delay_or_share_is_refused_naming_it(double delay, double share)
    {
        Trace trace = Build((0, 1, [0], TurnEnd.EndOfTurn, 2));
        var options = new ReplayOptions
        {
            Policy = EvictionPolicy.Lru, CapacityBlocks = 4, Close = new SessionCloseOptions { DelaySeconds = delay, Share = share },
        };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Replayer.Run(trace, options));
        Assert.Equal(double.IsFinite(delay) && delay >= 0 ? "Share" : "DelaySeconds", ex.ParamName);
    }

    private static HashSet<string> Closed(List<string> log) =>
        [.. log.Where(e => e.Contains("Closed", StringComparison.Ordinal)).Select(e => e.Split(' ')[1])];

    private static readonly EvictionPolicy s_recorder = HintRecorder.Register("close-recorder");

    private static (List<string> Log, ReplayResult Result) Replay(Trace trace, bool hints, SessionCloseOptions? close)
    {
        (HintLog log, ReplayResult result) = HintRecorder.Replay(trace,
            new ReplayOptions { Policy = s_recorder, CapacityBlocks = 1024, Hints = hints, Close = close });
        return (log.Entries, result);
    }

    private static Trace Build(params (double Time, long Session, int[] Blocks, TurnEnd End, double Response)[] requests) =>
        TurnTrace.Build("close", requests);
}
