namespace KvTiering.Simulation.Workloads;

/// <summary>
/// Settings of <see cref="SyntheticAgentWorkload"/>. The defaults give a few hundred agent sessions over an hour,
/// a few million block references over about 0.3 million unique 64-token blocks, input:output about 100:1.
/// </summary>
public sealed record SyntheticAgentOptions
{
    /// <summary>Seed of the generator; the same options give the same trace.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Tokens per block. Default 64.</summary>
    public int BlockTokens { get; init; } = 64;

    /// <summary>Length of the trace in seconds; requests at or after it are not emitted. Default 3600.</summary>
    public double DurationSeconds { get; init; } = 3600;

    /// <summary>Agent sessions live at once; a session that ends is replaced by a new one. Default 32.</summary>
    public int ConcurrentSessions { get; init; } = 32;

    /// <summary>Blocks of system prompt and tool definitions every session and sub-agent starts with. Default 160.</summary>
    public int SharedPrefixBlocks { get; init; } = 160;

    /// <summary>Mean tokens of a session's own prompt (its system-prompt tail and first message). Default 2,000.</summary>
    public double SessionPromptTokens { get; init; } = 2000;

    /// <summary>Input tokens per output token, over the whole trace. Default 100.</summary>
    public double InputOutputRatio { get; init; } = 100;

    /// <summary>Mean model calls per session (geometric). Default 40.</summary>
    public double MeanTurns { get; init; } = 40;

    /// <summary>Mean tokens of a tool result appended before the next call. Default 600.</summary>
    public double ToolResultTokens { get; init; } = 600;

    /// <summary>Mean tokens of a user message appended before the next call. Default 200.</summary>
    public double UserMessageTokens { get; init; } = 200;

    /// <summary>Chance that the next call follows a user message (a think gap) rather than a tool. Default 0.1.</summary>
    public double UserTurnProbability { get; init; } = 0.1;

    /// <summary>Mean seconds a tool runs before the next call (exponential). Default 2.</summary>
    public double ToolGapSeconds { get; init; } = 2;

    /// <summary>Mean seconds a user thinks before the next message (exponential). Default 30.</summary>
    public double ThinkGapSeconds { get; init; } = 30;

    /// <summary>Output tokens the model emits per second; a call's output delays the next. Default 50.</summary>
    public double DecodeTokensPerSecond { get; init; } = 50;

    /// <summary>Mean seconds before a finished session's replacement starts. Default 10.</summary>
    public double SessionGapSeconds { get; init; } = 10;

    /// <summary>Chance per session turn of starting a sub-agent (the parent waits for it). Default 0.03.</summary>
    public double SubagentProbability { get; init; } = 0.03;

    /// <summary>Mean model calls per sub-agent (geometric). Default 12.</summary>
    public double SubagentMeanTurns { get; init; } = 12;

    /// <summary>Mean tokens of a sub-agent's task prompt (after the shared prefix). Default 500.</summary>
    public double SubagentTaskTokens { get; init; } = 500;

    /// <summary>Mean tokens of the sub-agent's result appended to its parent. Default 1,000.</summary>
    public double SubagentResultTokens { get; init; } = 1000;

    /// <summary>One-off long documents (scans: unique prefixes never reused) per hour, Poisson. Default 60.</summary>
    public double DocumentsPerHour { get; init; } = 60;

    /// <summary>Mean tokens of a one-off document (exponential). Default 48,000.</summary>
    public double DocumentTokens { get; init; } = 48_000;

    /// <summary>A session (or sub-agent) ends once its context would exceed this many tokens. Default 160,000.</summary>
    public double MaxContextTokens { get; init; } = 160_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    internal void Validate()
    {
        Positive(BlockTokens, nameof(BlockTokens));
        Positive(DurationSeconds, nameof(DurationSeconds));
        Positive(ConcurrentSessions, nameof(ConcurrentSessions));
        NotNegative(SharedPrefixBlocks, nameof(SharedPrefixBlocks));
        NotNegative(SessionPromptTokens, nameof(SessionPromptTokens));
        Positive(InputOutputRatio, nameof(InputOutputRatio));
        Positive(MeanTurns, nameof(MeanTurns));
        NotNegative(ToolResultTokens, nameof(ToolResultTokens));
        NotNegative(UserMessageTokens, nameof(UserMessageTokens));
        Probability(UserTurnProbability, nameof(UserTurnProbability));
        NotNegative(ToolGapSeconds, nameof(ToolGapSeconds));
        NotNegative(ThinkGapSeconds, nameof(ThinkGapSeconds));
        Positive(DecodeTokensPerSecond, nameof(DecodeTokensPerSecond));
        NotNegative(SessionGapSeconds, nameof(SessionGapSeconds));
        Probability(SubagentProbability, nameof(SubagentProbability));
        Positive(SubagentMeanTurns, nameof(SubagentMeanTurns));
        NotNegative(SubagentTaskTokens, nameof(SubagentTaskTokens));
        NotNegative(SubagentResultTokens, nameof(SubagentResultTokens));
        NotNegative(DocumentsPerHour, nameof(DocumentsPerHour));
        NotNegative(DocumentTokens, nameof(DocumentTokens));
        if (!(MaxContextTokens > (double)SharedPrefixBlocks * BlockTokens))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(MaxContextTokens), MaxContextTokens,
                $"MaxContextTokens ({MaxContextTokens}) must exceed the shared prefix ({SharedPrefixBlocks} blocks of {BlockTokens} tokens).");
        }
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value))
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} must be a finite number > 0, not {value}.");
        }
    }

    private static void NotNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value))
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} must be a finite number ≥ 0, not {value}.");
        }
    }

    private static void Probability(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"{name} must be a probability in [0, 1], not {value}.");
        }
    }
}
