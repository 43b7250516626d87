using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvTiering.Transfer.Tests;

/// <summary>
/// Certificates made in memory for each test run (ECDSA P-256, valid for a day): no file, no private key in the
/// repository. A <see cref="TestPki"/> is a CA that issues node certificates: a root, or an intermediate CA under
/// another <see cref="TestPki"/> (<see cref="Intermediate"/>). Two roots are strangers to each other.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly ECDsa _caKey;
    private readonly TestPki? _parent;

    /// <summary>A root CA.</summary>
    public TestPki(string name)
    {
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Ca = CaRequest($"CN={name} test CA", _caKey).CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private TestPki(string name, TestPki parent)
    {
        _parent = parent;
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = CaRequest($"CN={name} intermediate CA", _caKey);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(parent.Ca, true, false));
        (DateTimeOffset notBefore, DateTimeOffset notAfter) = Within(parent.Ca);
        using X509Certificate2 issued = request.Create(parent.Ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        Ca = issued.CopyWithPrivateKey(_caKey);
    }

    /// <summary>This CA's own certificate (with its key): the root's, or the intermediate's.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The root at the top of this CA's chain: what a node trusts to admit every node under it.</summary>
    public X509Certificate2 Root => _parent?.Root ?? Ca;

    public X509Certificate2Collection Roots => [Root];

    /// <summary>The CA certificates between a node this CA issues and the root: what such a node sends as its chain.</summary>
    public X509Certificate2[] Chain => _parent is null ? [] : [Ca, .. _parent.Chain];

    /// <summary>An intermediate CA issued by this one (the root kept offline, nodes issued by the intermediate).</summary>
    public TestPki Intermediate(string name) => new(name, this);

    /// <summary>A node certificate issued by this CA for <paramref name="name"/> (a DNS name in the SAN), loopback and the given addresses.</summary>
    public X509Certificate2 Issue(string name, params IPAddress[] addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = NodeRequest(name, key, addresses);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        (DateTimeOffset notBefore, DateTimeOffset notAfter) = Within(Ca);
        using X509Certificate2 issued = request.Create(Ca, notBefore, notAfter, serial);
        return Loadable(issued.CopyWithPrivateKey(key));
    }

    /// <summary>A self-signed node certificate: trusted only where it is pinned as a root.</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Loadable(NodeRequest(name, key, []).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddHours(12)));
    }

    /// <summary>BlockStreamTls for a node of this CA that trusts this CA.</summary>
    public BlockStreamTls Node(string name, string? serverName = null) => new(Issue(name), Roots) { ServerName = serverName };

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }

    /// <summary>
    /// A validity inside the issuer's, taken from the issuer's own (whole-second) dates: each certificate made from
    /// <c>UtcNow</c> let a child issued a second later end after its parent, which <c>CertificateRequest.Create</c>
    /// refuses (a CI run hit it across a second boundary).
    /// </summary>
    private static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Within(X509Certificate2 issuer) =>
        (new DateTimeOffset(issuer.NotBefore).AddMinutes(5), new DateTimeOffset(issuer.NotAfter).AddHours(-2));

    private static CertificateRequest CaRequest(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static CertificateRequest NodeRequest(string name, ECDsa key, IPAddress[] addresses)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        names.AddIpAddress(IPAddress.Loopback);
        foreach (IPAddress address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        return request;
    }

    /// <summary>Through PKCS#12 and back: an ephemeral key some platforms' TLS stacks cannot use becomes a loadable one.</summary>
    private static X509Certificate2 Loadable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
