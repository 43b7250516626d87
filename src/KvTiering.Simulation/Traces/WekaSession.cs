using System.Runtime.InteropServices;
using System.Text.Json;

namespace KvTiering.Simulation.Traces;

/// <summary>
/// One parsed WEKA session file: its requests in depth-first order (a sub-agent's requests stand where its entry
/// stands), times relative to the session start, and file-local block ids.
/// </summary>
/// <remarks>
/// Local ids are dense in first-seen order; a negative id <c>-(j + 1)</c> is shared tool-prefix position <c>j</c>.
/// Scope 0 is the session itself, scopes 1.. its sub-agents in the order their entries appear.
/// </remarks>
internal sealed class WekaSession
{
    private readonly string _path;
    private readonly bool _isolateScopes;
    private readonly List<LocalIdMap> _namespaces = [new()];

    private WekaSession(string path, bool isolateScopes)
    {
        _path = path;
        _isolateScopes = isolateScopes;
    }

    public List<double> Time { get; } = [];

    public List<int> Scope { get; } = [];

    public List<int> Input { get; } = [];

    public List<int> Output { get; } = [];

    /// <summary>How each request's response ended (tool call or end of turn), per request.</summary>
    public List<TurnEnd> Ends { get; } = [];

    /// <summary>How long each request's response took (<c>api_time</c>, seconds; 0 when not recorded), per request.</summary>
    public List<double> ResponseSeconds { get; } = [];

    /// <summary>End offset of each request's ids in <see cref="Ids"/> (its start is the previous end).</summary>
    public List<int> End { get; } = [];

    public List<int> Ids { get; } = [];

    public int BlockSize { get; private set; } = -1;

    public int ToolTokens { get; private set; } = -1;

    public int ScopeCount { get; private set; } = 1;

    public int LocalUnique { get; private set; }

    /// <summary>Leading positions mapped to shared ids (0 unless the shared tool prefix applied).</summary>
    public int SharedBlocks { get; private set; }

    public int RequestCount => Time.Count;

    public static WekaSession Parse(string path, ReadOnlySpan<byte> json, bool isolateScopes, bool sharedToolPrefix)
    {
        var session = new WekaSession(path, isolateScopes);
        try
        {
            var reader = new Utf8JsonReader(json);
            session.ParseRoot(ref reader);
        }
        catch (JsonException ex)
        {
            TraceThrow.Format(path, (ex.LineNumber ?? -1) + 1,
                $"invalid JSON at byte {ex.BytePositionInLine ?? 0} of the line: {ex.Message}", ex);
        }

        if (session.BlockSize <= 0)
        {
            TraceThrow.Format(path, 0, "the session needs a positive \"block_size\".");
        }

        if (sharedToolPrefix)
        {
            int unique = session.LocalUnique;
            int shared = WekaToolPrefix.Share(session, ref unique);
            if (shared > 0)
            {
                session.LocalUnique = unique;
                session.SharedBlocks = shared;
            }
        }

        return session;
    }

    private void ParseRoot(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            TraceThrow.Format(_path, 0, "expected a JSON object (one agent session).");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("block_size"u8))
            {
                BlockSize = JsonFields.ReadCount(ref reader, _path, 0, "block_size");
            }
            else if (reader.ValueTextEquals("tool_tokens"u8))
            {
                ToolTokens = JsonFields.ReadCount(ref reader, _path, 0, "tool_tokens");
            }
            else if (reader.ValueTextEquals("requests"u8))
            {
                ParseRequests(ref reader, 0);
            }
            else
            {
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            TraceThrow.Format(_path, 0, $"unexpected content at byte {reader.TokenStartIndex}.");
        }
    }

    private void ParseRequests(ref Utf8JsonReader reader, int scope)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            TraceThrow.Format(_path, 0, $"\"requests\" must be an array (byte {reader.TokenStartIndex}).");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            ParseEntry(ref reader, scope);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            TraceThrow.Format(_path, 0, $"\"requests\" must hold objects (byte {reader.TokenStartIndex}).");
        }
    }

    private void ParseEntry(ref Utf8JsonReader reader, int scope)
    {
        long entryStart = reader.TokenStartIndex;
        double t = double.NaN;
        int input = -1;
        int output = -1;
        TurnEnd end = TurnEnd.Unknown;
        double response = 0;
        bool isSubagent = false;
        bool sawIds = false;
        int nestedFrom = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("t"u8))
            {
                t = JsonFields.ReadDouble(ref reader, _path, 0, "t");
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                isSubagent = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("subagent"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("in"u8))
            {
                input = JsonFields.ReadCount(ref reader, _path, 0, "in");
            }
            else if (reader.ValueTextEquals("out"u8))
            {
                output = JsonFields.ReadCount(ref reader, _path, 0, "out");
            }
            else if (reader.ValueTextEquals("stop"u8))
            {
                reader.Read();
                end = reader.TokenType != JsonTokenType.String ? TurnEnd.Unknown
                    : reader.ValueTextEquals("tool_use"u8) ? TurnEnd.ToolCall
                    : reader.ValueTextEquals("end_turn"u8) ? TurnEnd.EndOfTurn
                    : TurnEnd.Unknown;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("api_time"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double seconds) &&
                    double.IsFinite(seconds) && seconds > 0)
                {
                    response = seconds;
                }

                reader.Skip();
            }
            else if (reader.ValueTextEquals("hash_ids"u8))
            {
                sawIds = true;
                ReadIds(ref reader, scope);
            }
            else if (reader.ValueTextEquals("requests"u8))
            {
                if (nestedFrom >= 0 || sawIds)
                {
                    TraceThrow.Format(_path, 0, $"the entry at byte {entryStart} mixes \"hash_ids\" and \"requests\".");
                }

                nestedFrom = RequestCount;
                int nestedScope = ScopeCount++;
                if (_isolateScopes)
                {
                    _namespaces.Add(new LocalIdMap());
                }

                ParseRequests(ref reader, nestedScope);
            }
            else
            {
                reader.Skip();
            }
        }

        if (double.IsNaN(t))
        {
            TraceThrow.Format(_path, 0, $"the request at byte {entryStart} has no \"t\".");
        }

        if (isSubagent)
        {
            if (sawIds)
            {
                TraceThrow.Format(_path, 0, $"the sub-agent entry at byte {entryStart} has its own \"hash_ids\".");
            }

            // A sub-agent's requests are timed from its entry, which may come after its "requests" in the object.
            if (nestedFrom >= 0)
            {
                foreach (ref double time in CollectionsMarshal.AsSpan(Time)[nestedFrom..])
                {
                    time += t;
                }
            }

            return;
        }

        if (nestedFrom >= 0 || input < 0 || output < 0 || !sawIds)
        {
            TraceThrow.Format(_path, 0,
                $"the request at byte {entryStart} needs \"in\", \"out\" and \"hash_ids\" (and no \"requests\").");
        }

        Time.Add(t);
        Scope.Add(scope);
        Input.Add(input);
        Output.Add(output);
        Ends.Add(end);
        ResponseSeconds.Add(response);
        End.Add(Ids.Count);
    }

    private void ReadIds(ref Utf8JsonReader reader, int scope)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            TraceThrow.Format(_path, 0, $"\"hash_ids\" must be an array (byte {reader.TokenStartIndex}).");
        }

        LocalIdMap ids = _namespaces[_isolateScopes ? scope : 0];
        int next = LocalUnique;
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out long id))
            {
                TraceThrow.Format(_path, 0, $"\"hash_ids\" must hold integers (byte {reader.TokenStartIndex}).");
            }

            Ids.Add(ids.GetOrAdd(id, ref next));
        }

        LocalUnique = next;

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            TraceThrow.Format(_path, 0, $"\"hash_ids\" must hold integers (byte {reader.TokenStartIndex}).");
        }
    }
}
