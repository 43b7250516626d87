using System.Security.Cryptography.X509Certificates;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// Checks the intermediates a node is given for its own chain when the settings are built, so a wrong file fails
/// here with the certificate named, not later as every peer's refusal of a chain it cannot build.
/// </summary>
internal static class ChainCheck
{
    /// <summary>Throws unless every one of <paramref name="intermediates"/> is a CA certificate in <paramref name="certificate"/>'s chain.</summary>
    public static void ThrowIfNotChainOf(X509Certificate2 certificate, X509Certificate2[] intermediates, string paramName)
    {
        if (intermediates.Length == 0)
        {
            return;
        }

        foreach (X509Certificate2? intermediate in intermediates)
        {
            if (intermediate is null)
            {
                ThrowHelper.ThrowArgument(paramName, "Intermediates holds a null certificate.");
            }

            if (!IsCertificateAuthority(intermediate))
            {
                ThrowHelper.ThrowArgument(paramName, $"Intermediate {Name(intermediate)} is not a CA certificate (its basic " +
                    "constraints do not allow issuing): only the CAs above this node's certificate belong in Intermediates.");
            }
        }

        // Built the way a peer builds it: from these certificates alone, nothing fetched and nothing trusted (the
        // chain's status does not matter here, only which certificates it went through).
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.Build(certificate);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < chain.ChainElements.Count; i++)
        {
            used.Add(chain.ChainElements[i].Certificate.Thumbprint);
        }

        foreach (X509Certificate2 intermediate in intermediates)
        {
            if (!used.Contains(intermediate.Thumbprint))
            {
                ThrowHelper.ThrowArgument(paramName, $"Intermediate {Name(intermediate)} is not in the chain of certificate " +
                    $"{Name(certificate)}: it issued neither that certificate nor another of the intermediates, so sending it " +
                    "would not help a peer build the chain.");
            }
        }
    }

    private static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(c => c.CertificateAuthority);

    private static string Name(X509Certificate2 certificate) => $"{certificate.Subject} ({certificate.Thumbprint})";
}
