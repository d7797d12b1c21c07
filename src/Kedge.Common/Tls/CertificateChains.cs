using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Common.Tls;

/// <summary>
/// One way to check a peer's certificate chain: to the given roots only (custom root trust) or, without roots, to the
/// system's; intermediates the peer sent are used; revocation is not checked (private PKIs rarely publish it).
/// Infrastructure shared by the kedge products.
/// </summary>
public static class CertificateChains
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="roots"/> (or, when null, to the system's roots).</summary>
    /// <param name="certificate">The peer's certificate.</param>
    /// <param name="presented">The chain the peer sent, whose intermediates are used; may be null.</param>
    /// <param name="roots">The only trusted roots; null trusts the system store.</param>
    /// <param name="requireClientAuthentication">Whether the chain must allow client authentication (a client certificate).</param>
    /// <returns>True when the chain builds.</returns>
    public static bool Build(X509Certificate certificate, X509Chain? presented, TrustBundle? roots, bool requireClientAuthentication = false)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (roots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots.Certificates);
        }

        if (requireClientAuthentication)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        }

        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }
}
