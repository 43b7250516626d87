using KvTiering.Eviction;
using KvTiering.Simulation.Traces;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Delivers each request's turn end to the store as a session hint at the moment a server would know it: when the
/// response ends (<see cref="Trace.Time"/> + <see cref="Trace.ResponseSeconds"/>), in time order interleaved with the
/// other sessions' requests; right after the request where the trace records no response time. Each hint carries the
/// response's length (<see cref="Trace.OutputTokens"/>), which a server knows when the response ends.
/// </summary>
/// <remarks>
/// A hint whose session sent its next request before the hint's time is dropped: the wait it describes is over.
/// (Real responses end before their session's next request; in the WEKA traces request times are whole seconds, so
/// about 1 hint in 800 lands a fraction of a second after the next request.)
/// </remarks>
internal sealed class HintSchedule
{
    private readonly Trace _trace;
    private readonly TurnEnd[] _ends;
    private readonly double[]? _response;
    private readonly int[] _nextInSession;
    private readonly PriorityQueue<int, (double Time, int Request)> _pending = new();
    private readonly ReplayClock _clock;

    private HintSchedule(Trace trace, TurnEnd[] ends, ReplayClock clock)
    {
        _trace = trace;
        _clock = clock;
        _ends = ends;
        _response = trace.ResponseSeconds;
        _nextInSession = NextInSession(trace);
    }

    /// <summary>
    /// The schedule of a trace's hints, or null when the trace records no turn ends. Each delivery sets
    /// <paramref name="clock"/> (the store's clock) to the hint's time.
    /// </summary>
    public static HintSchedule? For(Trace trace, ReplayClock clock) =>
        trace.TurnEnds is { } ends ? new HintSchedule(trace, ends, clock) : null;

    /// <summary>Delivers every pending hint due at or before <paramref name="time"/>, before request <paramref name="request"/> arrives.</summary>
    public void DeliverUntil(TieredKvStore store, double time, int request)
    {
        while (_pending.TryPeek(out int r, out (double Time, int Request) due) && due.Time <= time)
        {
            _pending.Dequeue();
            Deliver(store, r, due.Time, request);
        }
    }

    /// <summary>Request <paramref name="request"/> has been replayed: its hint is due when its response ends.</summary>
    public void Schedule(TieredKvStore store, int request)
    {
        if (_ends[request] == TurnEnd.Unknown)
        {
            return;
        }

        double response = _response is null ? 0 : _response[request];
        if (response <= 0)
        {
            // No response time recorded: the hint is the request's own, delivered at its arrival as before.
            store.Hint(_trace.Session[request], HintOf(_ends[request]), Math.Max(0, _trace.OutputTokens[request]));
            return;
        }

        _pending.Enqueue(request, (_trace.Time[request] + response, request));
    }

    /// <summary>Delivers the hints still pending after the last request, in time order.</summary>
    public void DeliverRest(TieredKvStore store)
    {
        while (_pending.TryDequeue(out int r, out (double Time, int Request) due))
        {
            Deliver(store, r, due.Time, _trace.RequestCount);
        }
    }

    /// <summary>The hint a turn end gives: a tool call → paused, the end of the turn → awaiting the user.</summary>
    public static SessionHint HintOf(TurnEnd end) => end == TurnEnd.ToolCall ? SessionHint.Paused : SessionHint.AwaitingUser;

    private void Deliver(TieredKvStore store, int r, double time, int replayed)
    {
        int next = _nextInSession[r];
        if (next >= 0 && next < replayed)
        {
            return; // the session came back before its response (by the trace's clock) ended
        }

        _clock.Set(time);
        store.Hint(_trace.Session[r], HintOf(_ends[r]), Math.Max(0, _trace.OutputTokens[r]));
    }

    /// <summary>For each request, the index of its session's next request, or −1.</summary>
    private static int[] NextInSession(Trace trace)
    {
        var next = new int[trace.RequestCount];
        var last = new Dictionary<long, int>();
        for (int r = trace.RequestCount - 1; r >= 0; r--)
        {
            long session = trace.Session[r];
            next[r] = last.TryGetValue(session, out int n) ? n : -1;
            last[session] = r;
        }

        return next;
    }
}
