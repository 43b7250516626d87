using KvTiering.Eviction;
using KvTiering.Simulation.Traces;
using KvTiering.Store;

namespace KvTiering.Simulation.Replay;

/// <summary>
/// Delivers each request's turn end to the store as a session hint at the moment a server would know it: when the
/// response ends (<see cref="Trace.Time"/> + <see cref="Trace.ResponseSeconds"/>), in time order interleaved with the
/// other sessions' requests; right after the request where the trace records no response time. Each hint carries the
/// response's length (<see cref="Trace.OutputTokens"/>), which a server knows when the response ends. With
/// <see cref="SessionCloseOptions"/>, also each session's close, a delay after its last response ends
/// (<see cref="SessionHint.Closed"/>, as an agent framework would send it).
/// </summary>
/// <remarks>
/// A hint whose session sent its next request before the hint's time is dropped: the wait it describes is over.
/// (Real responses end before their session's next request; in the WEKA traces request times are whole seconds, so
/// about 1 hint in 800 lands a fraction of a second after the next request.) A close is only ever scheduled once the
/// session's last request has been replayed, so it never precedes a request of its session; at equal times the turn
/// end it follows is delivered first.
/// </remarks>
internal sealed class HintSchedule
{
    private readonly Trace _trace;
    private readonly TurnEnd[]? _ends;
    private readonly double[]? _response;
    private readonly int[] _nextInSession;
    private readonly PriorityQueue<int, (double Time, int Request)> _pending = new();
    private readonly ReplayClock _clock;
    private readonly SessionCloseOptions? _close;
    private readonly PriorityQueue<int, (double Time, int Request)>? _closes;

    private HintSchedule(Trace trace, TurnEnd[]? ends, SessionCloseOptions? close, ReplayClock clock)
    {
        _trace = trace;
        _clock = clock;
        _ends = ends;
        _response = trace.ResponseSeconds;
        _nextInSession = NextInSession(trace);
        _close = close;
        _closes = close is null ? null : new();
    }

    /// <summary>Whether the schedule delivers the trace's turn ends (<see cref="SessionHint.Paused"/>, <see cref="SessionHint.AwaitingUser"/>).</summary>
    public bool TurnEnds => _ends is not null;

    /// <summary>The session closes it delivers, or null.</summary>
    public SessionCloseOptions? Close => _close;

    /// <summary>
    /// The schedule of a trace's hints, or null when there are none to deliver: turn ends only when
    /// <paramref name="turnEnds"/> and the trace records them, session closes only when <paramref name="close"/> is given.
    /// Each delivery sets <paramref name="clock"/> (the store's clock) to the hint's time.
    /// </summary>
    public static HintSchedule? For(Trace trace, ReplayClock clock, bool turnEnds = true, SessionCloseOptions? close = null)
    {
        TurnEnd[]? ends = turnEnds ? trace.TurnEnds : null;
        close?.Validate();
        return ends is null && close is null ? null : new HintSchedule(trace, ends, close, clock);
    }

    /// <summary>
    /// Delivers every pending hint due at or before <paramref name="time"/>, before request <paramref name="request"/>
    /// arrives: turn ends and closes merged in time order; at equal times a turn end goes first (a close follows its
    /// response).
    /// </summary>
    public void DeliverUntil(TieredKvStore store, double time, int request)
    {
        while (true)
        {
            bool end = _pending.TryPeek(out int r, out (double Time, int Request) endDue) && endDue.Time <= time;
            int c = 0;
            (double Time, int Request) closeDue = default;
            bool close = _closes is not null && _closes.TryPeek(out c, out closeDue) && closeDue.Time <= time;
            if (end && (!close || endDue.Time <= closeDue.Time))
            {
                _pending.Dequeue();
                Deliver(store, r, endDue.Time, request);
            }
            else if (close)
            {
                _closes!.Dequeue();
                _clock.Set(closeDue.Time);
                store.Hint(_trace.Session[c], SessionHint.Closed);
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Request <paramref name="request"/> has been replayed: its hint is due when its response ends.</summary>
    public void Schedule(TieredKvStore store, int request)
    {
        double response = _response is null ? 0 : Math.Max(0, _response[request]);
        if (_closes is not null && _nextInSession[request] < 0 && _trace.Session[request] != 0 && _close!.Closes(_trace.Session[request]))
        {
            // The session's last request: its framework closes it a delay after this response ends.
            _closes.Enqueue(request, (_trace.Time[request] + response + _close.DelaySeconds, request));
        }

        if (_ends is null || _ends[request] == TurnEnd.Unknown)
        {
            return;
        }

        if (response <= 0)
        {
            // No response time recorded: the hint is the request's own, delivered at its arrival as before.
            store.Hint(_trace.Session[request], HintOf(_ends[request]), Math.Max(0, _trace.OutputTokens[request]));
            return;
        }

        _pending.Enqueue(request, (_trace.Time[request] + response, request));
    }

    /// <summary>Delivers the hints still pending after the last request, in time order.</summary>
    public void DeliverRest(TieredKvStore store) => DeliverUntil(store, double.PositiveInfinity, _trace.RequestCount);

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
        store.Hint(_trace.Session[r], HintOf(_ends![r]), Math.Max(0, _trace.OutputTokens[r]));
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
