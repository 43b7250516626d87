using KvTiering.Eviction;
using KvTiering.Simulation.Replay;
using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

public sealed class HintScheduleTests
{
    [Fact]
    public void A_hint_arrives_when_its_response_ends_after_requests_that_came_earlier()
    {
        // Session 1 ends its turn at 0 + 10 s; session 2 calls a tool at 5 s (no response time: hinted at once),
        // then comes back at 8 s (before session 1's response ended) and at 12 s (after it).
        Trace trace = Build(
            (0, 1, [0], TurnEnd.EndOfTurn, 10),
            (5, 2, [1], TurnEnd.ToolCall, 0),
            (8, 2, [1, 2], TurnEnd.Unknown, 0),
            (12, 2, [1, 2, 3], TurnEnd.Unknown, 0));

        (List<string> log, ReplayResult result) = Replay(trace, hints: true);

        Assert.Equal(
        [
            "insert s1 @0", "insert s2 @5", "hint s2 Paused @5", "insert s2 @8",
            "hint s1 AwaitingUser @10", "insert s2 @12",
        ], log);
        Assert.Equal("recorder+hints", result.Policy);
    }

    [Fact]
    public void A_hint_whose_session_came_back_first_is_dropped_and_the_last_ones_are_delivered_in_time_order()
    {
        // Session 1's first response ends at 10 s by the trace's clock, but its next request is at 9 s: that wait is
        // over, so its hint is never delivered. The last two hints are due after the last request.
        Trace trace = Build(
            (0, 1, [0], TurnEnd.ToolCall, 10),
            (9, 1, [0, 1], TurnEnd.EndOfTurn, 30),
            (9.5, 2, [2], TurnEnd.ToolCall, 5));

        (List<string> log, _) = Replay(trace, hints: true);

        Assert.Equal(["insert s1 @0", "insert s1 @9", "insert s2 @9.5", "hint s2 Paused @14.5", "hint s1 AwaitingUser @39"], log);
    }

    [Fact]
    public void Without_response_times_each_hint_follows_its_request()
    {
        Trace timed = Build((0, 1, [0], TurnEnd.EndOfTurn, 0), (1, 2, [1], TurnEnd.ToolCall, 0));
        var trace = new Trace(timed.Name, timed.BlockTokens, timed.Time, timed.Session, timed.InputTokens, timed.OutputTokens,
            timed.RequestStart, timed.BlockIds, timed.UniqueBlocks) { TurnEnds = timed.TurnEnds };

        (List<string> log, _) = Replay(trace, hints: true);

        Assert.Equal(["insert s1 @0", "hint s1 AwaitingUser @0", "insert s2 @1", "hint s2 Paused @1"], log);
    }

    [Fact]
    public void No_hints_when_turned_off_or_when_the_trace_records_no_turn_ends()
    {
        Trace trace = Build((0, 1, [0], TurnEnd.EndOfTurn, 2), (5, 1, [0, 1], TurnEnd.ToolCall, 2));
        var bare = new Trace(trace.Name, trace.BlockTokens, trace.Time, trace.Session, trace.InputTokens, trace.OutputTokens,
            trace.RequestStart, trace.BlockIds, trace.UniqueBlocks);

        (List<string> off, ReplayResult offResult) = Replay(trace, hints: false);
        (List<string> none, ReplayResult noneResult) = Replay(bare, hints: true);

        Assert.DoesNotContain(off, e => e.StartsWith("hint", StringComparison.Ordinal));
        Assert.DoesNotContain(none, e => e.StartsWith("hint", StringComparison.Ordinal));
        Assert.Equal("recorder", offResult.Policy);
        Assert.Equal("recorder", noneResult.Policy);
        Assert.True(new ReplayOptions { Policy = EvictionPolicy.Lru }.Hints, "hints are the default");
    }

    [Fact]
    public void Each_hint_carries_its_responses_length()
    {
        // Session 1's 7-token response ends its turn at 10 s; session 2's 300-token one calls a tool at 1 s (no response
        // time: hinted at once). The policy reads each length while its hint is delivered, and −1 (not told) otherwise.
        Trace timed = Build((0, 1, [0], TurnEnd.EndOfTurn, 10), (1, 2, [1], TurnEnd.ToolCall, 0));
        var trace = new Trace(timed.Name, timed.BlockTokens, timed.Time, timed.Session, timed.InputTokens, [7, 300],
            timed.RequestStart, timed.BlockIds, timed.UniqueBlocks) { TurnEnds = timed.TurnEnds, ResponseSeconds = timed.ResponseSeconds };

        (HintLog log, _) = ReplayLogged(trace, hints: true);

        Assert.Equal(["insert s1 @0 len -1", "insert s2 @1 len -1", "hint s2 Paused @1 len 300", "hint s1 AwaitingUser @10 len 7"],
            log.Lengths.Zip(log.Entries, (length, entry) => $"{entry} len {length}"));
    }

    [Fact]
    public void Dynamo_agentic_rows_reach_the_policy_as_hints_when_their_responses_end()
    {
        // root r1 at 1 s ends at 1.25 s (r2 starts at 1.75 s after 250 ms of tools and 250 ms else) in a tool call;
        // the sub-agent's c1 and root's r3 (a join) are the last of their sessions: each ended its turn.
        using var dir = new TempDirectory();
        string file = dir.Write("agentic.jsonl",
            """
            {"request_id": "r1", "session_id": "root", "timestamp": 1000, "input_length": 16, "output_length": 1, "hash_ids": [11]}
            {"request_id": "c1", "session_id": "child", "timestamp": 1500, "input_length": 16, "output_length": 1, "hash_ids": [33], "delay": 250, "wait_for": ["r1"]}
            {"request_id": "r2", "session_id": "root", "timestamp": 1750, "input_length": 32, "output_length": 1, "hash_ids": [11, 22], "delay": 250, "tool_wait_ms": 250, "wait_for": ["r1"]}
            {"request_id": "r3", "session_id": "root", "timestamp": 2500, "input_length": 48, "output_length": 1, "hash_ids": [11, 22, 44], "delay": 500, "wait_for": ["r2", "c1"]}
            """);
        Trace trace = TraceLoader.Load(file, TraceFormat.Mooncake, new TraceLoadOptions { UseCache = false });

        (List<string> log, ReplayResult result) = Replay(trace, hints: true);

        Assert.Equal(
        [
            "insert s1 @1", "hint s1 Paused @1.25", "insert s2 @1.5", "hint s2 AwaitingUser @1.5", "insert s1 @1.75",
            "insert s1 @2.5", "hint s1 AwaitingUser @2.5",
        ], log);
        Assert.Equal("recorder+hints", result.Policy);
    }

    private static readonly EvictionPolicy s_recorder = HintRecorder.Register("recorder");

    private static (List<string> Log, ReplayResult Result) Replay(Trace trace, bool hints)
    {
        (HintLog log, ReplayResult result) = ReplayLogged(trace, hints);
        return (log.Entries, result);
    }

    private static (HintLog Log, ReplayResult Result) ReplayLogged(Trace trace, bool hints) =>
        HintRecorder.Replay(trace, new ReplayOptions { Policy = s_recorder, CapacityBlocks = 64, Hints = hints });

    private static Trace Build(params (double Time, long Session, int[] Blocks, TurnEnd End, double Response)[] requests) =>
        TurnTrace.Build("hints", requests);
}
