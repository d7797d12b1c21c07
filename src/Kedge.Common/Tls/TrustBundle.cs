using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.Common.Tls;

/// <summary>
/// A CA bundle: the certificates a peer's chain must lead to (custom root trust; the system store is not used). Used for
/// kedge's client CA files, backend CA and OIDC issuer CA, and for the kedge CA of Kedge.Client and winch.
/// Infrastructure shared by the kedge products.
/// </summary>
public sealed class TrustBundle
{
    private readonly X509Certificate2Collection _certificates;

    private TrustBundle(X509Certificate2Collection certificates) => _certificates = certificates;

    /// <summary>The CA certificates. Do not change the collection: the bundle is shared by every connection.</summary>
    public X509Certificate2Collection Certificates => _certificates;

    /// <summary>Parses CA files: each holds one or more PEM 'BEGIN CERTIFICATE' blocks, or one DER certificate.</summary>
    /// <param name="contents">The files' bytes, in the order of <paramref name="paths"/>.</param>
    /// <param name="paths">The files' paths, for the error message.</param>
    /// <returns>The bundle with the certificates of every file.</returns>
    /// <exception cref="InvalidDataException">A file holds no certificate; the message names it.</exception>
    public static TrustBundle Parse(IReadOnlyList<byte[]> contents, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(paths);
        var all = new X509Certificate2Collection();
        for (var i = 0; i < contents.Count; i++)
        {
            var text = Encoding.ASCII.GetString(contents[i]);
            var certs = new X509Certificate2Collection();
            try
            {
                if (text.Contains("-----BEGIN", StringComparison.Ordinal))
                {
                    certs.ImportFromPem(text);
                }
                else if (contents[i].Length > 0)
                {
                    certs.Add(X509CertificateLoader.LoadCertificate(contents[i]));
                }
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw new InvalidDataException($"The CA file '{paths[i]}' is neither PEM nor a DER certificate ({ex.Message}); give a PEM file with one or more 'BEGIN CERTIFICATE' blocks.", ex);
            }

            if (certs.Count == 0)
            {
                throw new InvalidDataException($"The CA file '{paths[i]}' holds no certificate; give a PEM file with one or more 'BEGIN CERTIFICATE' blocks.");
            }

            all.AddRange(certs);
        }

        return new TrustBundle(all);
    }

    /// <summary>Reads and parses CA files once (for checks at start; <see cref="TlsFiles.WatchTrustBundle"/> follows changes).</summary>
    /// <param name="paths">The CA files.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="InvalidDataException">A file holds no certificate.</exception>
    public static TrustBundle Load(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Parse([.. paths.Select(File.ReadAllBytes)], paths);
    }

    /// <summary>A new chain policy that trusts exactly this bundle, without revocation checks (private PKIs rarely publish them).</summary>
    /// <returns>A policy the caller owns.</returns>
    public X509ChainPolicy CreateChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(_certificates);
        return policy;
    }
}
