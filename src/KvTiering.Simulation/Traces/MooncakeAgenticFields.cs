using System.Globalization;
using System.Text.Json;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// The fields Dynamo's agentic Mooncake rows add to a Mooncake line — <c>request_id</c>, <c>session_id</c> (the agent
/// trajectory), <c>wait_for</c> (the requests it waited on), <c>delay</c> and <c>tool_wait_ms</c> (the non-tool and
/// tool parts of that wait, ms) — collected per request and turned into sessions, turn ends and response times.
/// </summary>
/// <remarks>
/// Format from NVIDIA Dynamo's <c>agent_trace_to_mooncake --agentic</c> converter (github.com/ai-dynamo/dynamo,
/// <c>AgenticMooncakeRow</c>): a request's <c>timestamp</c> is its start; its dependencies ended at
/// <c>timestamp − delay − tool_wait_ms</c>; <c>tool_wait_ms</c> is the time tools of the same trajectory ran in
/// between. So a request that waited on exactly one earlier request of its own session tells us when that request's
/// response ended, and, when <c>tool_wait_ms</c> &gt; 0, that it ended in a tool call. The last request of a session
/// ended its turn. A join (several dependencies) does not say which of them ended last, so it sets no response time.
/// Other agentic fields (<c>branches</c>, <c>prefix_reset</c>) are skipped.
/// </remarks>
internal sealed class MooncakeAgenticFields
{
    private readonly Dictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly List<long> _session = [];
    private readonly List<string?> _requestId = [];
    private readonly List<string[]?> _waitFor = [];
    private readonly List<double> _delayMs = [];
    private readonly List<double> _toolWaitMs = [];
    private readonly List<long> _line = [];
    private bool _sawSessions;
    private bool _sawDependencies;

    // The current line's values, committed by EndRequest.
    private long _currentSession;
    private string? _currentId;
    private string[]? _currentWaitFor;
    private double _currentDelay;
    private double _currentToolWait;

    /// <summary>Whether the trace carried any session ids.</summary>
    public bool HasSessions => _sawSessions;

    /// <summary>Reads an agentic field if <paramref name="reader"/> stands on one; false for any other property.</summary>
    public bool TryRead(ref Utf8JsonReader reader, string path, long line)
    {
        if (reader.ValueTextEquals("session_id"u8))
        {
            string key = ReadId(ref reader, path, line, "session_id");
            if (!_sessions.TryGetValue(key, out _currentSession))
            {
                _currentSession = _sessions.Count + 1;
                _sessions.Add(key, _currentSession);
            }

            _sawSessions = true;
        }
        else if (reader.ValueTextEquals("request_id"u8))
        {
            _currentId = ReadId(ref reader, path, line, "request_id");
        }
        else if (reader.ValueTextEquals("wait_for"u8))
        {
            _currentWaitFor = ReadIdList(ref reader, path, line);
            _sawDependencies |= _currentWaitFor.Length > 0;
        }
        else if (reader.ValueTextEquals("delay"u8))
        {
            _currentDelay = ReadOptionalMs(ref reader, path, line, "delay");
        }
        else if (reader.ValueTextEquals("tool_wait_ms"u8))
        {
            _currentToolWait = ReadOptionalMs(ref reader, path, line, "tool_wait_ms");
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>Commits the current line's fields as the next request's.</summary>
    public void EndRequest(long line)
    {
        _session.Add(_currentSession);
        _requestId.Add(_currentId);
        _waitFor.Add(_currentWaitFor);
        _delayMs.Add(_currentDelay);
        _toolWaitMs.Add(_currentToolWait);
        _line.Add(line);
        _currentSession = 0;
        _currentId = null;
        _currentWaitFor = null;
        _currentDelay = 0;
        _currentToolWait = 0;
    }

    /// <summary>Each request's session (0 for none), in file order.</summary>
    public long[] Sessions() => [.. _session];

    /// <summary>
    /// Turn ends and response seconds, in file order, from the dependencies (null, null when no request has any).
    /// <paramref name="startMs"/> holds each request's start, ms.
    /// </summary>
    public (TurnEnd[]? Ends, double[]? ResponseSeconds) TurnEnds(string path, IReadOnlyList<double> startMs)
    {
        if (!_sawDependencies)
        {
            return (null, null);
        }

        int n = _session.Count;
        var index = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int r = 0; r < n; r++)
        {
            if (_requestId[r] is { } id && !index.TryAdd(id, r))
            {
                TraceThrow.Format(path, _line[r], $"duplicate \"request_id\" '{id}'.");
            }
        }

        var ends = new TurnEnd[n];
        var response = new double[n];
        var lastOfSession = new Dictionary<long, int>();
        for (int r = 0; r < n; r++)
        {
            if (_session[r] != 0)
            {
                lastOfSession[_session[r]] = r;
            }

            if (_waitFor[r] is not { Length: > 0 } deps)
            {
                continue;
            }

            foreach (string dep in deps)
            {
                if (!index.ContainsKey(dep))
                {
                    TraceThrow.Format(path, _line[r], $"\"wait_for\" names request '{dep}', which the trace does not hold.");
                }
            }

            int d = index[deps[0]];
            if (deps.Length != 1 || _session[d] != _session[r] || _session[r] == 0)
            {
                continue;
            }

            double endMs = startMs[r] - _delayMs[r] - _toolWaitMs[r];
            response[d] = Math.Max(0, (endMs - startMs[d]) / 1000.0);
            if (_toolWaitMs[r] > 0)
            {
                ends[d] = TurnEnd.ToolCall;
            }
        }

        foreach (int last in lastOfSession.Values)
        {
            ends[last] = TurnEnd.EndOfTurn;
        }

        return (ends, response);
    }

    private static string ReadId(ref Utf8JsonReader reader, string path, long line, string field)
    {
        if (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return ReadString(ref reader, path, line, field);
            }

            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number))
            {
                return number.ToString(CultureInfo.InvariantCulture);
            }
        }

        TraceThrow.Format(path, line, $"\"{field}\" must be a string or an integer (byte {reader.TokenStartIndex}).");
        return null!;
    }

    /// <summary>A string value; invalid UTF-8 (found by AFL, tests/KvTiering.Fuzz) is a format error, not a crash.</summary>
    private static string ReadString(ref Utf8JsonReader reader, string path, long line, string field)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            TraceThrow.Format(path, line, $"\"{field}\" is not valid UTF-8 (byte {reader.TokenStartIndex}).", ex);
            return null!;
        }
    }

    private static string[] ReadIdList(ref Utf8JsonReader reader, string path, long line)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            TraceThrow.Format(path, line, $"\"wait_for\" must be an array of request ids (byte {reader.TokenStartIndex}).");
        }

        var ids = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                ids.Add(ReadString(ref reader, path, line, "wait_for"));
            }
            else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number))
            {
                ids.Add(number.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                TraceThrow.Format(path, line, $"\"wait_for\" must hold request ids (byte {reader.TokenStartIndex}).");
            }
        }

        return [.. ids];
    }

    private static double ReadOptionalMs(ref Utf8JsonReader reader, string path, long line, string field)
    {
        if (reader.Read() && reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double ms) || !double.IsFinite(ms) || ms < 0)
        {
            TraceThrow.Format(path, line, $"\"{field}\" must be a non-negative number of milliseconds or null (byte {reader.TokenStartIndex}).");
            return 0;
        }

        return ms;
    }
}
