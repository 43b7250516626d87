using System.Globalization;
using KvTiering.Blocks;

namespace KvTiering.KvEvents;

/// <summary>
/// What <c>kvtier hash --scheme vllm</c> prints: for each full block, the hex SHA-256 digest, a space, and the 64-bit
/// event form in decimal (docs/key-spec.md, "vLLM scheme").
/// </summary>
public static class VllmHashLines
{
    /// <summary>The lines for one prompt.</summary>
    /// <param name="blockSize">Tokens per block.</param>
    /// <param name="seed">The fleet's <c>PYTHONHASHSEED</c>.</param>
    /// <param name="tokens">The prompt's token ids.</param>
    /// <param name="cacheSalt">The request's cache salt, or null.</param>
    /// <param name="loraName">The LoRA adapter name, or null.</param>
    public static IReadOnlyList<string> Compute(int blockSize, string seed, ReadOnlySpan<int> tokens, string? cacheSalt = null,
        string? loraName = null)
    {
        var hasher = new VllmBlockHasher(blockSize, seed, loraName);
        var hashes = new VllmBlockHash[hasher.BlockCount(tokens.Length)];
        int n = hasher.ComputeHashes(tokens, hashes, cacheSalt);
        var lines = new string[n];
        for (int i = 0; i < n; i++)
        {
            lines[i] = string.Create(CultureInfo.InvariantCulture, $"{hashes[i]} {hashes[i].EventHash}");
        }

        return lines;
    }

    /// <summary>Parses a comma-separated list of token ids (<c>--tokens 1,2,3</c>).</summary>
    /// <exception cref="FormatException">An entry is not a 32-bit integer; the message names it and its position.</exception>
    public static int[] ParseTokens(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        if (string.IsNullOrWhiteSpace(csv))
        {
            return [];
        }

        string[] parts = csv.Split(',');
        var tokens = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i].AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out tokens[i]))
            {
                throw new FormatException($"Token {i + 1} of --tokens is '{parts[i]}', not a 32-bit integer.");
            }
        }

        return tokens;
    }
}
