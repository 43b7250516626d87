namespace KvTiering.Fuzz;

/// <summary>One AFL target: the parser it drives with an input, and the seed inputs it starts from.</summary>
/// <param name="Run">Feeds one input to the parser; throws only when the parser broke its contract (a crash for AFL).</param>
/// <param name="Seeds">The seed inputs, by file name: well-formed inputs the tests also use.</param>
internal sealed record Harness(Action<byte[]> Run, Func<IReadOnlyDictionary<string, byte[]>> Seeds);
