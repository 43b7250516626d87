namespace KvTiering.Fuzzing;

/// <summary>
/// A deterministic in-process mutation fuzzer: AFL's havoc stage in miniature (bit flips, interesting bytes and
/// integers, block deletion, duplication and splicing between seeds), run from a fixed seed so every CI run tries the
/// same inputs. Each harness states what the parser may throw; anything else, or a broken oracle, fails with the
/// input in hex so it becomes a regression test.
/// </summary>
/// <remarks>
/// Follows the havoc mutators of AFL (M. Zalewski, american fuzzy lop, docs/technical_details.txt). Iterations per
/// target: <c>KVT_FUZZ_ITER</c> (default 3000, a second or two); <c>KVT_FUZZ_SEED</c> changes the stream. With
/// <c>KVT_FUZZ_CORPUS</c> set to a folder, the seeds are written there for a long AFL run (docs/reliability.md).
/// </remarks>
internal static class MutationFuzzer
{
    private static readonly int[] Interesting = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, int.MaxValue, int.MinValue, 64, 100];

    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("KVT_FUZZ_ITER"), out int n) && n > 0 ? n : 3000;

    /// <summary>
    /// Runs <paramref name="harness"/> on every seed and on <paramref name="iterations"/> mutants of them (default
    /// <see cref="Iterations"/>; a harness that does file I/O per input asks for fewer).
    /// </summary>
    public static void Run(string target, IReadOnlyList<byte[]> seeds, Action<byte[]> harness, int? iterations = null)
    {
        WriteCorpus(target, seeds);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("KVT_FUZZ_SEED"), out int s) ? s : 20261204;
        var rng = new Random(seed ^ target.GetHashCode(StringComparison.Ordinal) & 0x7FFFFFFF);
        foreach (byte[] input in seeds)
        {
            Execute(target, input, harness);
        }

        int count = iterations ?? Iterations;
        for (int i = 0; i < count; i++)
        {
            byte[] input = Mutate(seeds[rng.Next(seeds.Count)], seeds, rng);
            Execute(target, input, harness);
        }
    }

    private static void Execute(string target, byte[] input, Action<byte[]> harness)
    {
        try
        {
            harness(input);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException(
                $"{target}: {ex.GetType().Name} on input {Convert.ToHexString(input)}: {ex.Message}", ex);
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new InvalidOperationException($"{target}: oracle failed on input {Convert.ToHexString(input)}: {ex.Message}", ex);
        }
    }

    public static byte[] Mutate(byte[] original, IReadOnlyList<byte[]> seeds, Random rng)
    {
        var data = new List<byte>(original);
        int rounds = 1 << rng.Next(1, 5);
        for (int r = 0; r < rounds; r++)
        {
            int pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(8))
            {
                case 0 when data.Count > 0:
                    data[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[pos] = (byte)Interesting[rng.Next(Interesting.Length)];
                    break;
                case 2 when data.Count >= 4:
                    int value = Interesting[rng.Next(Interesting.Length)];
                    pos = Math.Min(pos, data.Count - 4);
                    for (int b = 0; b < 4; b++)
                    {
                        data[pos + b] = (byte)(value >> (8 * b));
                    }

                    break;
                case 3 when data.Count > 0:
                    data[pos] = (byte)rng.Next(256);
                    break;
                case 4 when data.Count > 1:
                    data.RemoveRange(pos, Math.Min(rng.Next(1, 32), data.Count - pos));
                    break;
                case 5 when data.Count > 0:
                    int length = Math.Min(rng.Next(1, 32), data.Count - pos);
                    data.InsertRange(rng.Next(data.Count), data.GetRange(pos, length));
                    break;
                case 6:
                    byte[] other = seeds[rng.Next(seeds.Count)];
                    if (other.Length > 0)
                    {
                        int from = rng.Next(other.Length);
                        data.InsertRange(pos, other.AsSpan(from, Math.Min(rng.Next(1, 64), other.Length - from)).ToArray());
                    }

                    break;
                default:
                    if (data.Count > 0)
                    {
                        data.RemoveRange(pos, data.Count - pos); // truncate
                    }

                    break;
            }
        }

        return [.. data];
    }

    private static void WriteCorpus(string target, IReadOnlyList<byte[]> seeds)
    {
        string? folder = Environment.GetEnvironmentVariable("KVT_FUZZ_CORPUS");
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        string dir = Path.Combine(folder, target);
        Directory.CreateDirectory(dir);
        for (int i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(dir, $"seed-{i:D3}"), seeds[i]);
        }
    }
}
