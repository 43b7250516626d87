using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Workloads;

/// <summary>
/// The event loop behind <see cref="SyntheticAgentWorkload"/>: a priority queue of agents by next-call time (ties
/// by scheduling order), each call emitted as one request.
/// </summary>
internal sealed class SyntheticAgentGenerator
{
    private readonly SyntheticAgentOptions _options;
    private readonly DeterministicRandom _random;
    private readonly PriorityQueue<Agent, (double Time, long Order)> _queue = new();
    private readonly List<double> _time = [];
    private readonly List<long> _session = [];
    private readonly List<int> _input = [];
    private readonly List<int> _output = [];
    private readonly List<int> _starts = [0];
    private readonly List<int> _blocks = [];
    private readonly int[] _sharedPrefix;
    private readonly Agent _documentSource = new(-1, [], 0, null) { IsDocumentSource = true };
    private long _order;
    private long _nextSession;
    private int _nextBlock;

    public SyntheticAgentGenerator(SyntheticAgentOptions options)
    {
        _options = options;
        _random = new DeterministicRandom(options.Seed);
        _sharedPrefix = new int[options.SharedPrefixBlocks];
        for (int i = 0; i < _sharedPrefix.Length; i++)
        {
            _sharedPrefix[i] = _nextBlock++;
        }
    }

    public Trace Run(string name)
    {
        // Staggered initial starts, so the first minute is not one burst of identical prefixes.
        double ramp = Math.Min(60, _options.DurationSeconds);
        for (int i = 0; i < _options.ConcurrentSessions; i++)
        {
            Schedule(NewSession(), _random.Uniform(0, ramp));
        }

        if (_options.DocumentsPerHour > 0 && _options.DocumentTokens > 0)
        {
            Schedule(_documentSource, _random.Exponential(3600 / _options.DocumentsPerHour));
        }

        while (_queue.TryDequeue(out Agent? agent, out (double Time, long Order) at) && at.Time < _options.DurationSeconds)
        {
            if (agent.IsDocumentSource)
            {
                EmitDocument(at.Time);
                Schedule(agent, at.Time + _random.Exponential(3600 / _options.DocumentsPerHour));
            }
            else
            {
                Step(agent, at.Time);
            }
        }

        int[] blocks = [.. _blocks];
        int unique = RenumberFirstSeen(blocks, _nextBlock);
        return new Trace(name, _options.BlockTokens, [.. _time], [.. _session], [.. _input], [.. _output],
            [.. _starts], blocks, unique);
    }

    /// <summary>
    /// Renumbers ids densely in first-seen order (the shared prefix is allocated up front, and a document may come
    /// before the first session); returns the number of distinct ids.
    /// </summary>
    private static int RenumberFirstSeen(int[] blocks, int allocated)
    {
        int[] map = new int[allocated];
        Array.Fill(map, -1);
        int next = 0;
        foreach (ref int id in blocks.AsSpan())
        {
            ref int dense = ref map[id];
            if (dense < 0)
            {
                dense = next++;
            }

            id = dense;
        }

        return next;
    }

    /// <summary>One model call of a session or sub-agent, then what it does next.</summary>
    private void Step(Agent agent, double now)
    {
        int input = (int)Math.Min(agent.Tokens, int.MaxValue);
        int output = Emit(now, agent.Session, agent.Context, input);
        agent.Tokens += output;
        agent.TurnsLeft--;
        double busy = output / _options.DecodeTokensPerSecond;

        bool user = _random.Chance(_options.UserTurnProbability);
        double appended = user
            ? _random.Exponential(_options.UserMessageTokens)
            : _random.Exponential(_options.ToolResultTokens);
        if (agent.TurnsLeft <= 0 || agent.Tokens + appended > _options.MaxContextTokens)
        {
            Finish(agent, now + busy);
            return;
        }

        if (agent.Parent is null && _random.Chance(_options.SubagentProbability))
        {
            // The parent waits, out of the queue, until its sub-agent reports back.
            var sub = new Agent(_nextSession++, _sharedPrefix, _random.Geometric(_options.SubagentMeanTurns), agent)
            {
                Tokens = ((double)_sharedPrefix.Length * _options.BlockTokens) +
                    _random.Exponential(_options.SubagentTaskTokens),
            };
            Schedule(sub, now + busy + _random.Exponential(_options.ToolGapSeconds));
            return;
        }

        agent.Tokens += Math.Round(appended);
        double gap = user ? _random.Exponential(_options.ThinkGapSeconds) : _random.Exponential(_options.ToolGapSeconds);
        Schedule(agent, now + busy + gap);
    }

    private void Finish(Agent agent, double now)
    {
        if (agent.Parent is { } parent)
        {
            parent.Tokens += Math.Round(_random.Exponential(_options.SubagentResultTokens));
            Schedule(parent, now + _random.Exponential(_options.ToolGapSeconds));
            return;
        }

        Schedule(NewSession(), now + _random.Exponential(_options.SessionGapSeconds));
    }

    private Agent NewSession() =>
        new(_nextSession++, _sharedPrefix, _random.Geometric(_options.MeanTurns), parent: null)
        {
            Tokens = ((double)_sharedPrefix.Length * _options.BlockTokens) +
                Math.Round(_random.Exponential(_options.SessionPromptTokens)),
        };

    private void EmitDocument(double now)
    {
        // A scan: its own session and blocks, referenced once and never again.
        double tokens = Math.Max(_options.BlockTokens, Math.Round(_random.Exponential(_options.DocumentTokens)));
        Emit(now, _nextSession++, [], (int)Math.Min(tokens, int.MaxValue));
    }

    /// <summary>Records one request over the context's full blocks, extending it with new ids; returns its output.</summary>
    private int Emit(double now, long session, List<int> context, int input)
    {
        int full = input / _options.BlockTokens;
        while (context.Count < full)
        {
            context.Add(_nextBlock++);
        }

        int output = (int)Math.Max(1, Math.Round(input / _options.InputOutputRatio * _random.Uniform(0.5, 1.5)));
        _time.Add(now);
        _session.Add(session);
        _input.Add(input);
        _output.Add(output);
        for (int i = 0; i < full; i++)
        {
            _blocks.Add(context[i]);
        }

        _starts.Add(_blocks.Count);
        return output;
    }

    private void Schedule(Agent agent, double time) => _queue.Enqueue(agent, (time, _order++));

    /// <summary>A session or sub-agent: its context's block ids so far and its context length in tokens.</summary>
    private sealed class Agent
    {
        public Agent(long session, int[] prefix, int turns, Agent? parent)
        {
            Session = session;
            Context = [.. prefix];
            TurnsLeft = turns;
            Parent = parent;
        }

        public long Session { get; }

        public List<int> Context { get; }

        public double Tokens { get; set; }

        public int TurnsLeft { get; set; }

        public Agent? Parent { get; }

        public bool IsDocumentSource { get; init; }
    }
}
