using System.Security.Cryptography.X509Certificates;
using KvTiering.Transfer.Transport;

namespace KvTiering.Transfer;

/// <summary>
/// Mutually authenticated TLS for block streams between hosts: this node's certificate and the roots a peer's
/// certificate must chain to. Give one to a <see cref="BlockStreamServer"/> (which then requires a client
/// certificate) and to a <see cref="BlockStreamClient"/> (which checks the server's); the same instance serves a node
/// that plays both parts. The block-stream protocol inside the TLS session is unchanged.
/// </summary>
/// <remarks>
/// Trust is explicit: only <see cref="TrustedRoots"/> count, never the machine's certificate store, so a certificate
/// from a public CA does not get a stranger in. Pin a single peer by trusting its self-signed certificate as a root;
/// admit a fleet by trusting the root CA its certificates chain to. A node whose certificate an intermediate CA issued
/// sends that intermediate (<see cref="Intermediates"/>) so a peer that trusts only the root can build the chain; a
/// peer's intermediates help build its chain and are never trusted themselves. <see cref="AcceptPeer"/> narrows
/// further. A peer that fails any check is refused before a byte of the block stream is read: the receiving store
/// never sees a block from an unauthenticated peer.
/// </remarks>
public sealed class BlockStreamTls
{
    private readonly X509Certificate2[] _trustedRoots;
    private readonly X509Certificate2[] _intermediates = [];

    /// <summary>Creates TLS settings from this node's certificate and the roots its peers' certificates must chain to.</summary>
    /// <param name="certificate">This node's certificate, with its private key.</param>
    /// <param name="trustedRoots">The roots a peer's certificate must chain to (a CA, or a pinned self-signed peer).</param>
    /// <exception cref="ArgumentException"><paramref name="certificate"/> has no private key, or <paramref name="trustedRoots"/> is empty.</exception>
    public BlockStreamTls(X509Certificate2 certificate, X509Certificate2Collection trustedRoots)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(trustedRoots);
        if (!certificate.HasPrivateKey)
        {
            ThrowHelper.ThrowArgument(nameof(certificate),
                $"Certificate {certificate.Subject} ({certificate.Thumbprint}) has no private key, so it cannot prove this node's identity.");
        }

        if (trustedRoots.Count == 0)
        {
            ThrowHelper.ThrowArgument(nameof(trustedRoots), "No trusted roots were given, so no peer could ever be authenticated.");
        }

        Certificate = certificate;
        _trustedRoots = [.. trustedRoots];
    }

    /// <summary>This node's certificate: the server's certificate, or the client's.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The roots a peer's certificate must chain to; nothing else is trusted.</summary>
    public IReadOnlyList<X509Certificate2> TrustedRoots => _trustedRoots;

    /// <summary>
    /// The CA certificates between <see cref="Certificate"/> and its root, sent in every handshake so a peer that
    /// trusts only the root can build the chain (default none: the root issued <see cref="Certificate"/> directly, or
    /// it is pinned). Order does not matter, and the root among them is allowed (it counts at a peer only if the peer
    /// trusts it already). They are this node's chain only: a peer's certificate is never trusted because it chains
    /// to one of them, only to <see cref="TrustedRoots"/>. From a PKCS#12 file, the certificates without a private
    /// key; from a PEM chain, the ones after the first.
    /// </summary>
    /// <exception cref="ArgumentException">One is not a CA certificate, or is not part of <see cref="Certificate"/>'s chain.</exception>
    public IReadOnlyList<X509Certificate2> Intermediates
    {
        get => _intermediates;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _intermediates = [.. value];
            ChainCheck.ThrowIfNotChainOf(Certificate, _intermediates, nameof(Intermediates));
        }
    }

    /// <summary>
    /// For a client: the name (DNS name or IP address) the server's certificate must carry, which is also sent as
    /// the TLS server name. Null (the default) accepts any certificate that chains to <see cref="TrustedRoots"/>,
    /// whatever its name: right when the roots issue certificates only to nodes allowed to receive blocks. A server
    /// ignores it.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// A last check of a peer's certificate, called only after it chained to <see cref="TrustedRoots"/> (and matched
    /// <see cref="ServerName"/>, on a client); false refuses the peer. Use it to admit certain subjects only. Null
    /// (the default) admits every such certificate. Called on the handshake's thread: keep it quick.
    /// </summary>
    public Func<X509Certificate2, bool>? AcceptPeer { get; init; }

    /// <summary>
    /// Whether a peer's chain is checked for revocation (default <see cref="X509RevocationMode.NoCheck"/>: nodes
    /// often cannot reach a CRL or OCSP server; prefer short-lived certificates). <see cref="X509RevocationMode.Online"/>
    /// fetches, <see cref="X509RevocationMode.Offline"/> uses what is cached.
    /// </summary>
    public X509RevocationMode RevocationMode { get; init; } = X509RevocationMode.NoCheck;
}
