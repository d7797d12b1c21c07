using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Server;

/// <summary>
/// One way to check a peer's certificate chain: to the given roots only (custom root trust) or, without roots, to the
/// system's; intermediates the peer sent are used; revocation is not checked (private PKIs rarely publish it).
/// </summary>
internal static class CertificateChains
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public static bool Build(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection? roots, bool requireClientAuthentication = false)
    {
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (roots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
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
