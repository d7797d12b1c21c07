using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.Client.Tls;

/// <summary>The CA certificates that kedge's certificate must chain to (custom root trust; the system store is not used).</summary>
internal static class TrustBundle
{
    public static X509ChainPolicy Parse(byte[][] contents, IReadOnlyList<string> paths)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };

        for (var i = 0; i < contents.Length; i++)
        {
            var text = Encoding.ASCII.GetString(contents[i]);
            var certs = new X509Certificate2Collection();
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                certs.ImportFromPem(text);
            }
            else
            {
                certs.Add(X509CertificateLoader.LoadCertificate(contents[i]));
            }

            if (certs.Count == 0)
            {
                throw new InvalidOperationException($"The CA file '{paths[i]}' holds no certificate; give a PEM file with one or more 'BEGIN CERTIFICATE' blocks.");
            }

            policy.CustomTrustStore.AddRange(certs);
        }

        return policy;
    }
}
