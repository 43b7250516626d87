using System.Globalization;

namespace LlamaAgent;

/// <summary>The sample's command line: conversation shape, model and store sizes.</summary>
internal sealed record AgentOptions
{
    public int Turns { get; init; } = 6;

    /// <summary>Tokens of the first prompt: system prompt, tool definitions and the task.</summary>
    public int FirstPrompt { get; init; } = 800;

    /// <summary>Tokens each later turn adds: a tool result or a user message.</summary>
    public int InputPerTurn { get; init; } = 400;

    /// <summary>Tokens the agent generates per turn (about 1 per 100 input tokens, as in agent traces).</summary>
    public int OutputPerTurn { get; init; } = 4;

    public bool Tiny { get; init; }

    /// <summary>llama.cpp threads; one core is left free, since threads waiting at ggml barriers for a descheduled peer stall small batches.</summary>
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>DRAM tier capacity in blocks; small, so later snapshots are served from flash.</summary>
    public int DramBlocks { get; init; } = 64;

    public int FlashBlocks { get; init; } = 2048;

    public string ModelDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "kvtiering-models");

    public int TotalTokens => FirstPrompt + ((Turns - 1) * (InputPerTurn + OutputPerTurn)) + OutputPerTurn;

    public static AgentOptions Parse(string[] args)
    {
        var options = new AgentOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--tiny")
            {
                options = options with { Tiny = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"Option '{name}' needs a value.", nameof(args));
            }

            string value = args[++i];
            options = name switch
            {
                "--turns" => options with { Turns = Positive(name, value) },
                "--first" => options with { FirstPrompt = Positive(name, value) },
                "--input" => options with { InputPerTurn = Positive(name, value) },
                "--output" => options with { OutputPerTurn = Positive(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--dram-blocks" => options with { DramBlocks = Positive(name, value) },
                "--flash-blocks" => options with { FlashBlocks = Positive(name, value) },
                "--model-dir" => options with { ModelDirectory = value },
                _ => throw new ArgumentException(
                    $"Unknown option '{name}'. Options: --turns N --first N --input N --output N --threads N --dram-blocks N --flash-blocks N --model-dir DIR --tiny",
                    nameof(args)),
            };
        }

        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"Option '{name}' needs a positive integer; got '{value}'.", nameof(value));
}
