using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KvTiering.Security;

/// <summary>
/// Seals stored blocks with a secret so that a tier shared with others (a Redis/Garnet server every inference server
/// can write, a flash file) can only hand back blocks a holder of the secret wrote. A block's seal is
/// <see cref="SealSize"/> bytes stored beside it: a nonce, a tag over the payload and a tag over the block's header
/// (its key, parent and length, and the payload tag). A reader checks the header tag before it trusts the header (a
/// prefix match reads only headers) and both tags before it returns bytes.
/// </summary>
/// <remarks>
/// <para>
/// The two tags make one MAC over key, parent, length and payload: the header tag covers the payload tag, so neither
/// part can be moved to another block. The header tag alone lets a prefix match reject a planted header without
/// reading its payload.
/// </para>
/// <para>
/// The secret is never used directly: HKDF-SHA256 (RFC 5869) derives a separate key per algorithm. GMAC follows NIST
/// SP 800-38D §8.2.2 (random 96-bit nonces); each seal uses its nonce with the low bit clear for the payload tag and
/// set for the header tag, so no nonce is used twice under one key. Thread-safe.
/// </para>
/// </remarks>
public sealed class BlockAuthenticator : IDisposable
{
    /// <summary>Shortest secret accepted, bytes (256 bits).</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>Bytes of one seal: nonce 12 · reserved 4 · payload tag 16 · header tag 16.</summary>
    public const int SealSize = 48;

    /// <summary>Longest header a seal covers, bytes.</summary>
    public const int MaxHeaderBytes = 64;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int PayloadTagOffset = 16;
    private const int HeaderTagOffset = 32;

    private readonly byte[] _payloadKey;
    private readonly byte[] _headerKey;
    private readonly ThreadLocal<AesGcm>? _gcm;

    /// <summary>Creates an authenticator from a secret of at least <see cref="MinimumKeyBytes"/> bytes.</summary>
    /// <exception cref="ArgumentException">The secret is shorter than <see cref="MinimumKeyBytes"/>; the message gives its length.</exception>
    public BlockAuthenticator(ReadOnlySpan<byte> secret, BlockMacAlgorithm algorithm = BlockMacAlgorithm.HmacSha256)
    {
        ValidateKey(secret, nameof(secret));
        if (algorithm is not (BlockMacAlgorithm.HmacSha256 or BlockMacAlgorithm.Gmac))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(algorithm), algorithm, $"Unknown MAC algorithm {algorithm}.");
        }

        Algorithm = algorithm;
        // One key per use (payload tags, header tags) and per algorithm, so no tag can stand in for another.
        _payloadKey = DeriveKey(secret, $"KvTiering block seal v1 {algorithm} payload");
        _headerKey = DeriveKey(secret, $"KvTiering block seal v1 {algorithm} header");
        if (algorithm == BlockMacAlgorithm.Gmac)
        {
            byte[] key = _payloadKey;
            _gcm = new ThreadLocal<AesGcm>(() => new AesGcm(key, TagSize), trackAllValues: true);
        }
    }

    /// <summary>The MAC this authenticator seals with.</summary>
    public BlockMacAlgorithm Algorithm { get; }

    /// <summary>Checks that <paramref name="secret"/> is long enough to be an authentication key.</summary>
    /// <exception cref="ArgumentException">It is shorter than <see cref="MinimumKeyBytes"/>; the message gives its length.</exception>
    public static void ValidateKey(ReadOnlySpan<byte> secret, string paramName)
    {
        if (secret.Length < MinimumKeyBytes)
        {
            ThrowHelper.ThrowArgument(paramName,
                $"Authentication key of {secret.Length} bytes is too short: it must be at least {MinimumKeyBytes} bytes (256 bits) of secret.");
        }
    }

    /// <summary>
    /// Writes the seal of a block whose header bytes are <paramref name="header"/> and payload
    /// <paramref name="payload"/> into the first <see cref="SealSize"/> bytes of <paramref name="seal"/>.
    /// </summary>
    public void Seal(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> seal)
    {
        CheckHeader(header);
        Span<byte> s = seal[..SealSize];
        s.Clear();
        if (Algorithm == BlockMacAlgorithm.Gmac)
        {
            RandomNumberGenerator.Fill(s[..NonceSize]);
            s[NonceSize - 1] &= 0xFE;
        }

        ComputeTag(s[..NonceSize], payload, 0, s.Slice(PayloadTagOffset, TagSize));
        ComputeHeaderTag(header, s, s.Slice(HeaderTagOffset, TagSize));
    }

    /// <summary>Whether <paramref name="seal"/> was made by this secret for exactly <paramref name="header"/>.</summary>
    public bool VerifyHeader(ReadOnlySpan<byte> header, ReadOnlySpan<byte> seal)
    {
        if (seal.Length < SealSize || header.Length > MaxHeaderBytes)
        {
            return false;
        }

        Span<byte> tag = stackalloc byte[TagSize];
        ComputeHeaderTag(header, seal, tag);
        return CryptographicOperations.FixedTimeEquals(tag, seal.Slice(HeaderTagOffset, TagSize));
    }

    /// <summary>
    /// Whether <paramref name="seal"/> was made by this secret for exactly <paramref name="header"/> and
    /// <paramref name="payload"/>.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> seal)
    {
        if (!VerifyHeader(header, seal))
        {
            return false;
        }

        Span<byte> tag = stackalloc byte[TagSize];
        ComputeTag(seal[..NonceSize], payload, 0, tag);
        return CryptographicOperations.FixedTimeEquals(tag, seal.Slice(PayloadTagOffset, TagSize));
    }

    /// <summary>Releases the per-thread AES contexts.</summary>
    public void Dispose()
    {
        if (_gcm is null)
        {
            return;
        }

        foreach (AesGcm gcm in _gcm.Values)
        {
            gcm.Dispose();
        }

        _gcm.Dispose();
    }

    private void ComputeHeaderTag(ReadOnlySpan<byte> header, ReadOnlySpan<byte> seal, Span<byte> tag)
    {
        // header ‖ header length ‖ nonce ‖ payload tag: one contiguous input, so HMAC needs no incremental state.
        Span<byte> input = stackalloc byte[MaxHeaderBytes + sizeof(int) + NonceSize + TagSize];
        header.CopyTo(input);
        int n = header.Length;
        BinaryPrimitives.WriteInt32LittleEndian(input[n..], header.Length);
        n += sizeof(int);
        seal[..NonceSize].CopyTo(input[n..]);
        n += NonceSize;
        seal.Slice(PayloadTagOffset, TagSize).CopyTo(input[n..]);
        n += TagSize;
        ComputeTag(seal[..NonceSize], input[..n], 1, tag);
    }

    private void ComputeTag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> data, byte domain, Span<byte> tag)
    {
        if (_gcm is null)
        {
            // HMAC needs no nonce; the two derived keys keep payload and header tags apart.
            Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(domain == 0 ? _payloadKey : _headerKey, data, full);
            full[..TagSize].CopyTo(tag);
            return;
        }

        Span<byte> iv = stackalloc byte[NonceSize];
        nonce.CopyTo(iv);
        iv[NonceSize - 1] |= domain;
        _gcm.Value!.Encrypt(iv, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, data);
    }

    private static byte[] DeriveKey(ReadOnlySpan<byte> secret, string info)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, key, salt: default, Encoding.ASCII.GetBytes(info));
        return key;
    }

    private static void CheckHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length > MaxHeaderBytes)
        {
            ThrowHelper.ThrowArgument(nameof(header), $"Header of {header.Length} bytes exceeds the {MaxHeaderBytes} bytes a seal covers.");
        }
    }
}
