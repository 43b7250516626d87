using KvTiering.Blocks;
using KvTiering.Fuzzing;
using KvTiering.Security;

namespace KvTiering.Redis.Tests;

/// <summary>
/// Mutation fuzzing of the value parser every byte from the shared server goes through. Oracle: no exception, and a
/// mutant that verifies yields exactly the genuine block's payload and parent (with a seal, not even a checksum
/// collision gets a different payload through).
/// </summary>
public sealed class ValueFuzzTests
{
    private const int MaxLength = 256;
    private static readonly BlockKey Key = new(0x0123456789ABCDEF, 0xFEDCBA9876543210);
    private static readonly BlockKey Parent = new(5, 6);

    private static byte[] Value(BlockAuthenticator? authenticator, byte[] payload)
    {
        int header = authenticator is null ? RedisBlockHeader.Size : RedisBlockHeader.SealedSize;
        var value = new byte[header + payload.Length];
        ushort flags = authenticator is null ? (ushort)0 : RedisBlockHeader.SealedFlag;
        new RedisBlockHeader(Key, Parent, payload.Length, System.IO.Hashing.XxHash3.HashToUInt64(payload), flags).WriteTo(value);
        authenticator?.Seal(value.AsSpan(0, RedisBlockHeader.Size), payload, value.AsSpan(RedisBlockHeader.Size, BlockAuthenticator.SealSize));
        payload.CopyTo(value, header);
        return value;
    }

    [Theory]
    [InlineData(null)]
    [InlineData(BlockMacAlgorithm.HmacSha256)]
    [InlineData(BlockMacAlgorithm.Gmac)]
    public void ValueParserNeverThrowsAndNeverYieldsOtherBytes(BlockMacAlgorithm? algorithm)
    {
        using BlockAuthenticator? authenticator = algorithm is { } a ? new BlockAuthenticator(new byte[32], a) : null;
        byte[] small = [1, 2, 3];
        byte[] large = Enumerable.Range(0, MaxLength).Select(i => (byte)i).ToArray();
        byte[][] seeds = [Value(authenticator, small), Value(authenticator, large), Value(null, small)];
        var destination = new byte[MaxLength];
        MutationFuzzer.Run($"redis-value-{algorithm?.ToString() ?? "plain"}", seeds, input =>
        {
            int read = RedisBlockHeader.TryCopyPayload(input, Key, MaxLength, authenticator, destination, out BlockKey parent);
            Assert.True(read >= -1 || read == RedisBlockHeader.Unauthentic, $"result {read}");
            if (read >= 0)
            {
                byte[] payload = destination[..read];
                Assert.True(payload.SequenceEqual(small) || payload.SequenceEqual(large), "a mutant yielded bytes no one wrote");
                Assert.Equal(Parent, parent);
            }

            _ = RedisBlockHeader.TryRead(input, Key, MaxLength, authenticator, out _);
        });
    }
}
