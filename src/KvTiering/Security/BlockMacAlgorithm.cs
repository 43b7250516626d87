namespace KvTiering.Security;

/// <summary>The message authentication code a <see cref="BlockAuthenticator"/> seals blocks with.</summary>
public enum BlockMacAlgorithm
{
    /// <summary>HMAC-SHA256 (RFC 2104, FIPS 198-1), truncated to 128 bits (RFC 2104 §5). Deterministic; no nonce.</summary>
    HmacSha256,

    /// <summary>
    /// GMAC: AES-256-GCM with an empty plaintext, the data as associated data (NIST SP 800-38D §3), with a random
    /// 96-bit nonce per sealed block. Runs at memory speed on CPUs with AES-NI and carry-less multiply.
    /// </summary>
    Gmac,
}
