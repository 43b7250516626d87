using KvTiering.KvEvents;

namespace KvTiering.Cli;

/// <summary>
/// <c>kvtier hash --scheme vllm --block-size N --seed S --tokens 1,2,3,… [--salt S] [--lora NAME]</c>: vLLM's
/// <c>sha256_cbor</c> block hashes, one line per full block (hex digest, space, 64-bit event form in decimal), as
/// docs/key-spec.md's "vLLM scheme" specifies.
/// </summary>
internal static class HashCommand
{
    private static readonly HashSet<string> s_options = ["scheme", "block-size", "seed", "tokens", "salt", "lora"];

    public static int Run(string[] args, TextWriter stdout)
    {
        var a = new Arguments(args, s_options, new HashSet<string>());
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

        return 0;
    }
}
