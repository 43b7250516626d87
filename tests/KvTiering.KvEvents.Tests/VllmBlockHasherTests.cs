using System.Globalization;
using System.Text;
using KvTiering.Blocks;

namespace KvTiering.KvEvents.Tests;

public sealed class VllmBlockHasherTests
{
    // Computed with cbor2 + hashlib on Debian's Python (the script in PythonReference below), recorded in
    // docs/key-spec.md ("vLLM scheme v1").
    [Theory]
    [InlineData(4, "0", "1,2,3,4,5,6,7,8,9", null, null,
        "c9d58ba695280d69b243e1e0df813136ca9196b286fb1a021e0b2e028ef071cb 2164874634404590027|24125b23e68883b5c2141db2959d48433fe6bde2f26bd914efad121d154ab2d6 17270480062156288726")]
    [InlineData(4, "42", "100000,23,0,65535,70000,1,2,3", "tenant-a", "sql-adapter",
        "827d8eac70869638f0737d1a3a18d06dea577e987c0799283eab2be80654638e 4515751326907655054|437675fadce6798a9bb4a115b9f25198552aaf70ed98dcf359af41cb666f7fee 6462456332152700910")]
    [InlineData(16, "0", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", null, null,
        "d830de3d42c00f25a2949b5d12d98642664a44872c1614c5b0147556276afc9c 12687895063098490012")]
    public void TestVectors(int blockSize, string seed, string tokens, string? salt, string? lora, string expected)
    {
        Assert.Equal(expected.Split('|'), Lines(blockSize, seed, Parse(tokens), salt, lora));
    }

    [Fact]
    public void EventHash_IsTheDigestsLastEightBytes_AndTheStoreKeysLowHalf()
    {
        var hasher = new VllmBlockHasher(4, "0");
        var hashes = new VllmBlockHash[1];
        hasher.ComputeHashes([1, 2, 3, 4], hashes);
        var digest = new byte[32];
        hashes[0].WriteTo(digest);
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest.AsSpan(24)), hashes[0].EventHash);
        Assert.Equal(hashes[0].EventHash, hashes[0].ToBlockKey().Low);
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest.AsSpan(16)), hashes[0].ToBlockKey().High);
    }

    [Fact]
    public void SaltAndLora_ChangeTheChain_SaltOnlyThroughTheFirstBlock()
    {
        int[] tokens = [.. Enumerable.Range(0, 12)];
        string[] plain = Lines(4, "0", tokens, null, null);
        string[] salted = Lines(4, "0", tokens, "s", null);
        string[] lora = Lines(4, "0", tokens, null, "l");
        Assert.All(Enumerable.Range(0, 3), i => Assert.NotEqual(plain[i], salted[i])); // the chain carries the salt on
        Assert.All(Enumerable.Range(0, 3), i => Assert.NotEqual(plain[i], lora[i]));
        var hasher = new VllmBlockHasher(4, "0");
        var h = new VllmBlockHash[3];
        hasher.ComputeHashes(tokens, h, "s");
        Assert.Equal(h[1], hasher.HashBlock(h[0], tokens.AsSpan(4, 4))); // no salt after the first block
    }

    [Fact]
    public void BadArguments_NameTheValue()
    {
        Assert.Equal("blockSize", Assert.Throws<ArgumentOutOfRangeException>(() => new VllmBlockHasher(0, "0")).ParamName);
        var hasher = new VllmBlockHasher(4, "0");
        var ex = Assert.Throws<ArgumentException>(() => hasher.ComputeHashes(new int[8], new VllmBlockHash[1]));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("4 tokens; got 3", Assert.Throws<ArgumentException>(() => hasher.HashBlock(hasher.NoneHash, new int[3])).Message,
            StringComparison.Ordinal);
        Assert.Equal(0, hasher.BlockCount(3));
    }

    [PythonFact]
    public void RandomPrompts_MatchAnIndependentPythonImplementation()
    {
        var rng = new Random(20261204);
        var cases = new List<(int BlockSize, string Seed, int[] Tokens, string? Salt, string? Lora)>();
        for (int c = 0; c < 40; c++)
        {
            int blockSize = rng.Next(1, 33);
            int[] tokens = [.. Enumerable.Range(0, rng.Next(0, 200)).Select(_ => rng.Next(0, c % 3 == 0 ? 300_000 : 24))];
            cases.Add((blockSize, rng.Next(0, 4).ToString(CultureInfo.InvariantCulture), tokens, c % 4 == 1 ? $"salt{c}" : null,
                c % 5 == 2 ? $"lora-{c}" : null));
        }

        var json = new StringBuilder("[");
        foreach (var (bs, seed, tokens, salt, lora) in cases)
        {
            json.Append(CultureInfo.InvariantCulture, $"{{\"block_size\":{bs},\"seed\":\"{seed}\",\"tokens\":[{string.Join(',', tokens)}]");
            json.Append(salt is null ? "" : $",\"salt\":\"{salt}\"").Append(lora is null ? "" : $",\"lora\":\"{lora}\"").Append("},");
        }

        json.Length--;
        json.Append(']');
        string[] expected = SystemPython.Run(PythonReference, json.ToString()).Split("--\n");
        Assert.Equal(cases.Count + 1, expected.Length);
        for (int c = 0; c < cases.Count; c++)
        {
            var (bs, seed, tokens, salt, lora) = cases[c];
            Assert.Equal(expected[c].Split('\n', StringSplitOptions.RemoveEmptyEntries), Lines(bs, seed, tokens, salt, lora));
        }
    }

    private static string[] Lines(int blockSize, string seed, int[] tokens, string? salt, string? lora)
    {
        var hasher = new VllmBlockHasher(blockSize, seed, lora);
        var hashes = new VllmBlockHash[hasher.BlockCount(tokens.Length)];
        int n = hasher.ComputeHashes(tokens, hashes, salt);
        return [.. hashes.Take(n).Select(h => $"{h} {h.EventHash.ToString(CultureInfo.InvariantCulture)}")];
    }

    private static int[] Parse(string csv) => [.. csv.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    /// <summary>vLLM's hash_block_tokens + sha256_cbor + init_none_hash, written from kv_cache_utils.py.</summary>
    internal const string PythonReference = """
        import sys, hashlib, json, cbor2
        def sha256_cbor(o): return hashlib.sha256(cbor2.dumps(o, canonical=True)).digest()
        for c in json.loads(sys.stdin.read()):
            none_hash = sha256_cbor(c["seed"])
            parent = None
            bs, toks = c["block_size"], c["tokens"]
            for b in range(len(toks) // bs):
                extra = ([c["lora"]] if c.get("lora") else []) + ([c["salt"]] if b == 0 and c.get("salt") else [])
                h = sha256_cbor((parent or none_hash, tuple(toks[b*bs:(b+1)*bs]), tuple(extra) if extra else None))
                print(h.hex(), int.from_bytes(h, "big") & ((1 << 64) - 1))
                parent = h
            print("--")
        """;
}
