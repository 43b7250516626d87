using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// Runs one end's TLS handshake by a <see cref="BlockStreamTls"/>'s rules, within a time limit, and says in words
/// why a peer was refused. Both ends authenticate: the server requires a client certificate.
/// </summary>
/// <remarks>
/// A client refuses the server inside the TLS handshake. A server does not: under TLS 1.3 the client has finished its
/// side before the server checks the client's certificate, so a refusal by closing reaches the client as a cut
/// connection, indistinguishable from any other. The server therefore completes the TLS session and hands back the
/// refusal with it (<see cref="TlsOutcome.Refused"/>), to be sent inside the session, where the client reads it as
/// the (server-authenticated) reason, before anything the client sent is read.
/// </remarks>
internal sealed class TlsHandshaker
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private readonly BlockStreamTls _tls;
    private readonly SslStreamCertificateContext _certificate;

    public TlsHandshaker(BlockStreamTls tls)
    {
        _tls = tls;
        // Built once per server or client, not per connection: it holds the chain every handshake sends.
        // The intermediates go with it, so a peer that trusts only the root can build this node's chain.
        _certificate = SslStreamCertificateContext.Create(tls.Certificate,
            tls.Intermediates.Count == 0 ? null : [.. tls.Intermediates], offline: true);
    }

    /// <summary>The server's side: presents this node's certificate and requires one from the client.</summary>
    public Task<TlsOutcome> AuthenticateAsServerAsync(Socket socket, TimeSpan timeout, CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, server: true, targetHost: null, timeout, cancellationToken);

    /// <summary>The client's side: presents this node's certificate and checks the server's.</summary>
    public Task<TlsOutcome> AuthenticateAsClientAsync(Socket socket, IPEndPoint endPoint, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        AuthenticateAsync(socket, server: false, _tls.ServerName ?? endPoint.Address.ToString(), timeout, cancellationToken);

    private async Task<TlsOutcome> AuthenticateAsync(Socket socket, bool server, string? targetHost, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        string? remote = socket.RemoteEndPoint?.ToString();

        // Fail closed: a session whose peer certificate was never checked (no callback) counts as refused.
        string? refusal = $"the {(server ? "client" : "server")}'s certificate was never checked";
        bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            refusal = Refusal(server, certificate, chain, errors);

            // A server finishes the handshake either way and sends its refusal inside the session (see remarks).
            return server || refusal is null;
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(timeout);
        }

        try
        {
            if (server)
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = _tls.RevocationMode,
                    CertificateChainPolicy = Policy(ClientAuthentication),
                    RemoteCertificateValidationCallback = Validate,
                }, limit.Token).ConfigureAwait(false);
            }
            else
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = targetHost,
                    ClientCertificateContext = _certificate,
                    CertificateRevocationCheckMode = _tls.RevocationMode,
                    CertificateChainPolicy = Policy(ServerAuthentication),
                    RemoteCertificateValidationCallback = Validate,
                }, limit.Token).ConfigureAwait(false);
            }

            return refusal is null
                ? new TlsOutcome(tls, TransferFault.None, null)
                : new TlsOutcome(tls, TransferFault.AuthenticationFailed, refusal);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            return new TlsOutcome(null, TransferFault.TimedOut, string.Create(CultureInfo.InvariantCulture,
                $"the TLS handshake with {remote} did not finish within {timeout.TotalSeconds:0.###} s (idle timeout)"));
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            return new TlsOutcome(null, TransferFault.AuthenticationFailed, refusal is null
                ? $"the TLS handshake with {remote} failed: {ex.Message} (the peer does not speak TLS, refused this end's certificate, or closed)"
                : $"the TLS handshake with {remote} failed: {refusal}");
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Only the given roots, for the peer's part (server or client authentication); a fresh one per handshake.</summary>
    private X509ChainPolicy Policy(string usage)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = _tls.RevocationMode,

            // The chain is built from what the peer sent: no handshake waits on (or is steered to) an address a
            // certificate names.
            DisableCertificateDownloads = true,
        };
        foreach (X509Certificate2 root in _tls.TrustedRoots)
        {
            policy.CustomTrustStore.Add(root);
        }

        policy.ApplicationPolicy.Add(new Oid(usage));
        return policy;
    }

    /// <summary>Why the peer's certificate is refused, or null when it passes every check.</summary>
    [SuppressMessage("Design", "CA1031", Justification = "A failing AcceptPeer refuses the peer; it must not fault the server.")]
    private string? Refusal(bool server, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string peer = server ? "client" : "server";
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return $"the {peer} presented no certificate";
        }

        var presented = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        string named = $"the {peer}'s certificate {presented.Subject} ({presented.Thumbprint})";
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            string statuses = chain is null ? "no chain" : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            string missing = chain is not null && chain.ChainStatus.Any(s => s.Status == X509ChainStatusFlags.PartialChain)
                ? $": the chain stops at {chain.ChainElements[^1].Certificate.Subject}, whose issuer {chain.ChainElements[^1].Certificate.Issuer} " +
                  $"is neither a trusted root nor among the certificates the {peer} sent (a node under an intermediate CA must send it: BlockStreamTls.Intermediates)"
                : "";
            return $"{named} does not chain to a trusted root ({statuses}){missing}";
        }

        if (!server && _tls.ServerName is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"{named} is not for {_tls.ServerName}";
        }

        try
        {
            return _tls.AcceptPeer is { } accept && !accept(presented) ? $"{named} was refused by AcceptPeer" : null;
        }
        catch (Exception ex)
        {
            return $"{named} was refused: AcceptPeer threw {ex.GetType().Name}: {ex.Message}";
        }
    }
}
