using System.Buffers.Binary;
using System.IO.Hashing;
using KvTiering.Blocks;
using KvTiering.Redis;
using KvTiering.Security;

namespace KvTiering.Fuzz;

/// <summary>
/// Every value that comes back from the shared server goes through <c>RedisBlockHeader</c>. Contract: no exception;
/// with a seal, a value that verifies yields exactly a payload and parent someone who holds the secret wrote.
/// </summary>
/// <remarks>
/// The first byte is a mode: bits 0–1 pick no MAC, HMAC-SHA256 or GMAC; bit 2 rewrites the header's and the payload's
/// XXH3 checksums (as an adversary can) so AFL reaches the seal and the length checks behind them. Without a MAC and
/// with resealed checksums any payload verifies: that is the unauthenticated tier's documented limit
/// (docs/security.md), so then only the absence of exceptions is checked.
/// </remarks>
internal static class RedisValueHarness
{
    private const int MaxLength = 256;
    private static readonly BlockKey Key = new(0x0123456789ABCDEF, 0xFEDCBA9876543210);
    private static readonly BlockKey Parent = new(5, 6);
    private static readonly byte[] Small = [1, 2, 3];
    private static readonly byte[] Large = [.. Enumerable.Range(0, MaxLength).Select(i => (byte)i)];
    private static readonly BlockAuthenticator Hmac = new(new byte[32], BlockMacAlgorithm.HmacSha256);
    private static readonly BlockAuthenticator Gmac = new(new byte[32], BlockMacAlgorithm.Gmac);

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        BlockAuthenticator? authenticator = (input[0] & 3) switch { 1 => Hmac, 2 => Gmac, _ => null };
        bool resealed = (input[0] & 4) != 0;
        byte[] value = input[1..];
        if (resealed)
        {
            Reseal(value, authenticator is null ? RedisBlockHeader.Size : RedisBlockHeader.SealedSize);
        }

        var destination = new byte[MaxLength];
        int read = RedisBlockHeader.TryCopyPayload(value, Key, MaxLength, authenticator, destination, out BlockKey parent);
        if (read < -1 && read != RedisBlockHeader.Unauthentic)
        {
            throw new InvalidOperationException($"result {read}");
        }

        if (read >= 0 && (authenticator is not null || !resealed))
        {
            ReadOnlySpan<byte> payload = destination.AsSpan(0, read);
            if (!(payload.SequenceEqual(Small) || payload.SequenceEqual(Large)) || !parent.Equals(Parent))
            {
                throw new InvalidOperationException($"a value yielded {read} bytes and parent {parent} that no one wrote");
            }
        }

        _ = RedisBlockHeader.TryRead(value, Key, MaxLength, authenticator, out _);
    }

    /// <summary>Payload checksum at 48 over the bytes after the header (and seal), then the header's own at 56.</summary>
    private static void Reseal(Span<byte> value, int payloadOffset)
    {
        if (value.Length < RedisBlockHeader.Size)
        {
            return;
        }

        if (value.Length >= payloadOffset)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value[48..], XxHash3.HashToUInt64(value[payloadOffset..]));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(value[56..], XxHash3.HashToUInt64(value[..56]));
    }

    private static byte[] Value(BlockAuthenticator? authenticator, byte[] payload)
    {
        int header = authenticator is null ? RedisBlockHeader.Size : RedisBlockHeader.SealedSize;
        var value = new byte[header + payload.Length];
        ushort flags = authenticator is null ? (ushort)0 : RedisBlockHeader.SealedFlag;
        new RedisBlockHeader(Key, Parent, payload.Length, XxHash3.HashToUInt64(payload), flags).WriteTo(value);
        authenticator?.Seal(value.AsSpan(0, RedisBlockHeader.Size), payload, value.AsSpan(RedisBlockHeader.Size, BlockAuthenticator.SealSize));
        payload.CopyTo(value, header);
        return value;
    }

    public static IReadOnlyDictionary<string, byte[]> Seeds() => new Dictionary<string, byte[]>
    {
        ["plain-small"] = [0, .. Value(null, Small)],
        ["hmac-large"] = [1, .. Value(Hmac, Large)],
        ["gmac-small"] = [2, .. Value(Gmac, Small)],
        ["hmac-small-resealed"] = [5, .. Value(Hmac, Small)],
        ["gmac-large-resealed"] = [6, .. Value(Gmac, Large)],
    };
}
