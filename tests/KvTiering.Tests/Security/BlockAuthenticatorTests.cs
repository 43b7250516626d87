using KvTiering.Security;

namespace KvTiering.Tests.Security;

public sealed class BlockAuthenticatorTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 13 + 5)).ToArray();

    private static (byte[] Header, byte[] Payload) Block()
    {
        var header = new byte[64];
        var payload = new byte[1000];
        new Random(7).NextBytes(header);
        new Random(8).NextBytes(payload);
        return (header, payload);
    }

    [Theory]
    [InlineData(BlockMacAlgorithm.HmacSha256)]
    [InlineData(BlockMacAlgorithm.Gmac)]
    public void EveryFlippedBitOfHeaderSealOrPayloadFailsVerification(BlockMacAlgorithm algorithm)
    {
        using var auth = new BlockAuthenticator(Secret, algorithm);
        (byte[] header, byte[] payload) = Block();
        var seal = new byte[BlockAuthenticator.SealSize];
        auth.Seal(header, payload, seal);
        Assert.True(auth.Verify(header, payload, seal));
        Assert.True(auth.VerifyHeader(header, seal));

        foreach (byte[] part in new[] { header, payload, seal })
        {
            for (int i = 0; i < part.Length; i += part == payload ? 37 : 1)
            {
                if (part == seal && i is >= 12 and < 16)
                {
                    continue; // reserved bytes, covered by neither tag
                }

                part[i] ^= 0x10;
                Assert.False(auth.Verify(header, payload, seal), $"byte {i} of a {part.Length}-byte part");
                part[i] ^= 0x10;
            }
        }
    }

    [Fact]
    public void HeaderTagDoesNotNeedThePayloadButBindsItsTag()
    {
        using var auth = new BlockAuthenticator(Secret);
        (byte[] header, byte[] payload) = Block();
        var seal = new byte[BlockAuthenticator.SealSize];
        auth.Seal(header, payload, seal);
        seal[20] ^= 1; // payload tag
        Assert.False(auth.VerifyHeader(header, seal));
    }

    [Fact]
    public void AnotherSecretOrAlgorithmDoesNotVerify()
    {
        (byte[] header, byte[] payload) = Block();
        var seal = new byte[BlockAuthenticator.SealSize];
        using (var auth = new BlockAuthenticator(Secret))
        {
            auth.Seal(header, payload, seal);
        }

        byte[] other = Secret.ToArray();
        other[31] ^= 1;
        using var wrongKey = new BlockAuthenticator(other);
        using var wrongAlgorithm = new BlockAuthenticator(Secret, BlockMacAlgorithm.Gmac);
        Assert.False(wrongKey.Verify(header, payload, seal));
        Assert.False(wrongAlgorithm.Verify(header, payload, seal));
    }

    [Fact]
    public void GmacSealsTheSameBlockWithFreshNonces()
    {
        using var auth = new BlockAuthenticator(Secret, BlockMacAlgorithm.Gmac);
        (byte[] header, byte[] payload) = Block();
        var first = new byte[BlockAuthenticator.SealSize];
        var second = new byte[BlockAuthenticator.SealSize];
        auth.Seal(header, payload, first);
        auth.Seal(header, payload, second);
        Assert.False(first.AsSpan(0, 12).SequenceEqual(second.AsSpan(0, 12)));
        Assert.True(auth.Verify(header, payload, first) && auth.Verify(header, payload, second));
    }

    [Fact]
    public void ShortSecretAndOversizedHeaderAreRejected()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new BlockAuthenticator(new byte[31]));
        Assert.Contains("31 bytes", error.Message, StringComparison.Ordinal);
        using var auth = new BlockAuthenticator(Secret);
        Assert.Throws<ArgumentException>(() => auth.Seal(new byte[65], new byte[1], new byte[BlockAuthenticator.SealSize]));
        Assert.False(auth.VerifyHeader(new byte[65], new byte[BlockAuthenticator.SealSize]));
    }
}
