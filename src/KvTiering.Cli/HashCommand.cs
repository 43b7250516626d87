using System.CommandLine;
using KvTiering.KvEvents;

namespace KvTiering.Cli;

/// <summary>
/// <c>kvtier hash --scheme vllm --block-size N --seed S --tokens 1,2,3,… [--salt S] [--lora NAME]</c>: vLLM's
/// <c>sha256_cbor</c> block hashes, one line per full block (hex digest, space, 64-bit event form in decimal), as
/// docs/key-spec.md's "vLLM scheme" specifies.
/// </summary>
internal static class HashCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("hash", "Print vLLM's sha256_cbor block hashes of a token sequence, one line per full block (hex digest, then the 64-bit event form).")
        {
            Arguments.Value("scheme", "SCHEME", "The hashing scheme (default and only: vllm)."),
            Arguments.Value("block-size", "N", "Tokens per block (default 16)."),
            Arguments.Value("seed", "S", "The hash seed of the first block's parent (PYTHONHASHSEED-style; required)."),
            Arguments.Value("tokens", "IDS", "Comma-separated token ids (required)."),
            Arguments.Value("salt", "S", "A cache salt mixed into the first block (multi-tenant isolation)."),
            Arguments.Value("lora", "NAME", "The LoRA adapter name mixed into every block."),
        };
        command.SetAction(r => Run(new Arguments(r), stdout, stderr));
        return command.WithExamples("kvtier hash --scheme vllm --block-size 4 --seed 0 --tokens 1,2,3,4,5,6,7,8");
    }

    private static int Run(Arguments a, TextWriter stdout, TextWriter stderr)
    {
        string scheme = a.Get("scheme") ?? "vllm";
        if (scheme != "vllm")
        {
            throw new CliException($"--scheme '{scheme}' is not known; the one scheme kvtier hash prints is 'vllm'");
        }

        int blockSize = a.GetInt("block-size", 16);
        if (blockSize <= 0)
        {
            throw new CliException($"--block-size must be positive; got {blockSize}");
        }

        int[] tokens;
        try
        {
            tokens = VllmHashLines.ParseTokens(a.Require("tokens"));
        }
        catch (FormatException ex)
        {
            throw new CliException(ex.Message);
        }

        foreach (string line in VllmHashLines.Compute(blockSize, a.Require("seed"), tokens, a.Get("salt"), a.Get("lora")))
        {
            stdout.WriteLine(line);
        }

        if (tokens.Length < blockSize)
        {
            // vLLM hashes full blocks only; without this line the empty output looks like a failure.
            stderr.WriteLine($"kvtier: {tokens.Length} tokens make no full block of {blockSize} (--block-size); vLLM hashes full blocks only");
        }

        return 0;
    }
}
