namespace KvTiering.Transfer;

/// <summary>
/// Why a block stream stopped short. The numeric values travel on the wire (the code byte of a receiver message,
/// docs/transfer.md), so they never change.
/// </summary>
public enum TransferFault
{
    /// <summary>No fault: the stream completed.</summary>
    None = 0,

    /// <summary>The handshake did not start with the protocol's magic bytes: the peer does not speak it.</summary>
    BadMagic = 1,

    /// <summary>The peer speaks another protocol version.</summary>
    UnsupportedVersion = 2,

    /// <summary>The handshake had the wrong length or failed its checksum.</summary>
    MalformedHandshake = 3,

    /// <summary>The two sides hold blocks of different KV layouts (shape, element size or block size).</summary>
    LayoutMismatch = 4,

    /// <summary>The layouts match but the key namespaces (model id or salt) differ, so the keys mean different prefixes.</summary>
    NamespaceMismatch = 5,

    /// <summary>A frame header was invalid (unknown type, bad length, empty key, non-zero reserved bits).</summary>
    InvalidFrame = 6,

    /// <summary>A frame's bytes did not match its checksum.</summary>
    ChecksumMismatch = 7,

    /// <summary>The stream ended inside a frame, or before the end frame.</summary>
    Truncated = 8,

    /// <summary>The end frame's counts disagree with what arrived.</summary>
    CountMismatch = 9,

    /// <summary>The connection failed (reset, closed by the peer, socket error).</summary>
    ConnectionLost = 10,

    /// <summary>No progress within the idle timeout.</summary>
    TimedOut = 11,

    /// <summary>
    /// The TLS handshake failed: the peer presented no certificate or one that is not trusted, refused this end's,
    /// or does not speak TLS. Raised before the block stream starts. It travels in one receiver message only: the
    /// handshake reply of a TLS server that refuses the client's certificate, sent inside the session it completed
    /// for that purpose.
    /// </summary>
    AuthenticationFailed = 12,
}
