using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.Common.Tls;

/// <summary>
/// A loaded certificate with its private key: the leaf, the intermediates that came with it, and the context an
/// <see cref="SslStream"/> sends. Used for kedge's server certificate, kedge's backend client certificate and the client
/// certificate of Kedge.Client and winch. Infrastructure shared by the kedge products.
/// </summary>
/// <remarks>
/// Loading reads the certificate's extensions, Extended Key Usage included, once on the loading thread. The runtime
/// decodes an <see cref="X509EnhancedKeyUsageExtension"/> lazily into a field that other threads can see half-filled:
/// two TLS handshakes checking the usages of a fresh certificate at once (Kestrel checks the server certificate on
/// every handshake) could see no usages at all and refuse kedge's own certificate. Decoded before the certificate is
/// published, every later read only copies the finished list.
/// </remarks>
public sealed class TlsCertificate
{
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    private TlsCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        Leaf = leaf;
        var usages = ExtendedKeyUsages(leaf);
        AllowsServerAuthentication = usages is null || usages.Contains(ServerAuthenticationOid);
        AllowsClientAuthentication = usages is null || usages.Contains(ClientAuthenticationOid);
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    /// <summary>The leaf certificate, with its private key.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>The leaf and its intermediates as an <see cref="SslStream"/> sends them.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>Whether the certificate may serve TLS: it has no Extended Key Usage extension, or one that lists serverAuth.</summary>
    public bool AllowsServerAuthentication { get; }

    /// <summary>Whether the certificate may authenticate a client: no Extended Key Usage extension, or one that lists clientAuth.</summary>
    public bool AllowsClientAuthentication { get; }

    /// <summary>Parses a PEM certificate file (leaf first, then any intermediates) and a PEM private key file.</summary>
    /// <param name="certificatePem">The certificate file's bytes.</param>
    /// <param name="keyPem">The key file's bytes.</param>
    /// <returns>The certificate.</returns>
    /// <exception cref="CryptographicException">The files hold no certificate, no key, or a key that does not match.</exception>
    public static TlsCertificate FromPem(byte[] certificatePem, byte[] keyPem)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(keyPem);
        var certText = Encoding.ASCII.GetString(certificatePem);
        var keyText = Encoding.ASCII.GetString(keyPem);

        // The same PEM parser as X509Certificate2.CreateFromPemFile, fed with the bytes one read of the files returned,
        // so the certificate and key always come from the same version of the files.
        var leaf = X509Certificate2.CreateFromPem(certText, keyText);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certText);
        var intermediates = new X509Certificate2Collection();
        foreach (var cert in all.Skip(1))
        {
            intermediates.Add(cert);
        }

        return new TlsCertificate(leaf, intermediates);
    }

    /// <summary>Parses a PKCS#12 (PFX) file: the first certificate with a private key is the leaf, the others intermediates.</summary>
    /// <param name="pfx">The file's bytes.</param>
    /// <param name="password">The file's password; null when it has none.</param>
    /// <returns>The certificate.</returns>
    /// <exception cref="InvalidOperationException">The file holds no certificate with a private key.</exception>
    public static TlsCertificate FromPkcs12(byte[] pfx, string? password)
    {
        ArgumentNullException.ThrowIfNull(pfx);
        var all = X509CertificateLoader.LoadPkcs12Collection(pfx, password);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new InvalidOperationException("The PFX file holds no certificate with a private key.");
        var intermediates = new X509Certificate2Collection();
        foreach (var cert in all)
        {
            if (!ReferenceEquals(cert, leaf))
            {
                intermediates.Add(cert);
            }
        }

        return new TlsCertificate(leaf, intermediates);
    }

    /// <summary>Parses a PEM certificate and key for serving TLS, refusing a certificate whose Extended Key Usage lacks serverAuth.</summary>
    /// <param name="certificatePem">The certificate file's bytes.</param>
    /// <param name="keyPem">The key file's bytes.</param>
    /// <param name="certificateFile">The certificate file's path, for the error message.</param>
    /// <returns>The certificate.</returns>
    /// <exception cref="InvalidDataException">The certificate may not serve TLS.</exception>
    public static TlsCertificate ServerFromPem(byte[] certificatePem, byte[] keyPem, string certificateFile)
    {
        var certificate = FromPem(certificatePem, keyPem);
        if (!certificate.AllowsServerAuthentication)
        {
            throw new InvalidDataException(
                $"The certificate in '{certificateFile}' ('{certificate.Leaf.Subject}') has an Extended Key Usage without Server Authentication (1.3.6.1.5.5.7.3.1); TLS clients and Kestrel refuse it for a server. Issue the server certificate with serverAuth (for example 'extendedKeyUsage = serverAuth').");
        }

        return certificate;
    }

    /// <summary>The Extended Key Usage OIDs, or null without the extension; decoding here is what publishes them safely.</summary>
    private static HashSet<string>? ExtendedKeyUsages(X509Certificate2 certificate)
    {
        HashSet<string>? usages = null;
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                usages ??= new HashSet<string>(StringComparer.Ordinal);
                foreach (var oid in eku.EnhancedKeyUsages)
                {
                    if (oid.Value is { } value)
                    {
                        usages.Add(value);
                    }
                }
            }
        }

        return usages;
    }
}
