using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Testing;

/// <summary>
/// A certificate authority made at run time (no checked-in PFX): issues server certificates for loopback names and
/// client certificates, and writes them as PEM files like a Kubernetes TLS secret.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;

    private TestCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    public static TestCertificateAuthority Create(string name = "Kedge Test CA")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return new TestCertificateAuthority(certificate, key);
    }

    /// <summary>Issues a server certificate with SANs <c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c> and <paramref name="dnsNames"/>.</summary>
    public X509Certificate2 IssueServerCertificate(params string[] dnsNames)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        return Issue(dnsNames.Length > 0 ? dnsNames[0] : "localhost", san.Build(), new Oid("1.3.6.1.5.5.7.3.1"), TimeSpan.FromDays(30));
    }

    /// <summary>Issues a client certificate with the given common name (and optionally a URI SAN such as a SPIFFE id).</summary>
    public X509Certificate2 IssueClientCertificate(string commonName, string? uriSan = null, TimeSpan? lifetime = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(commonName);
        if (uriSan is not null)
        {
            san.AddUri(new Uri(uriSan));
        }

        return Issue(commonName, san.Build(), new Oid("1.3.6.1.5.5.7.3.2"), lifetime ?? TimeSpan.FromDays(30));
    }

    /// <summary>Writes the CA certificate as PEM and returns the path.</summary>
    public string WriteCaPem(string directory, string fileName = "ca.crt")
    {
        var path = Path.Combine(directory, fileName);
        File.WriteAllText(path, Certificate.ExportCertificatePem());
        return path;
    }

    /// <summary>Writes a certificate and its key as PEM files (<c>tls.crt</c>, <c>tls.key</c>) and returns their paths.</summary>
    public static (string CertificatePath, string KeyPath) WritePem(X509Certificate2 certificate, string directory, string certificateFile = "tls.crt", string keyFile = "tls.key")
    {
        Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, certificateFile);
        var keyPath = Path.Combine(directory, keyFile);
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        // Not disposed, for the same reason as in Issue: the key object may share the certificate's native key.
        var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("Only ECDSA test certificates are written.");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    /// <summary>Checks a peer certificate against this CA only (custom root trust), as a server with a client CA file does.</summary>
    public bool Validates(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Issue(string commonName, X509Extension san, Oid usage, TimeSpan lifetime)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(san);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        // Neither the public-only certificate nor the key is disposed: on Linux the copy with the private key may share
        // native handles with them, and freeing those under a live certificate corrupts it (seen as a server
        // presenting another certificate). Test certificates are few; the finalizers reclaim them.
        var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-5), now.Add(lifetime), serial);
        return issued.CopyWithPrivateKey(key);
    }
}
