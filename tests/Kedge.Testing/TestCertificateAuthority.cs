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

    /// <summary>
    /// Issues a server certificate (serverAuth) valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>,
    /// even outside the CA's own validity (an expired or not-yet-valid certificate), for <paramref name="names"/>: DNS
    /// names or IP addresses as subject alternative names, the first as the CN. Without names: <c>CN=kedge</c> and no SAN.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] names)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + (names.Length > 0 ? names[0] : "kedge"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        if (names.Length > 0)
        {
            request.CertificateExtensions.Add(SubjectAlternativeNames(names));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        // Signed with the CA's key directly: the overload taking the CA certificate refuses validity outside the CA's own.
        // Not disposed, as in Issue.
        var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore, notAfter, RandomSerial());
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A self-signed certificate (no CA, no extension but the SANs and serverAuth) for <paramref name="names"/> (DNS names
    /// or IP addresses), with the given common name and validity.
    /// </summary>
    public static X509Certificate2 CreateSelfSignedServerCertificate(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] names)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        if (names.Length > 0)
        {
            request.CertificateExtensions.Add(SubjectAlternativeNames(names));
        }

        // The key is not disposed, as in Issue.
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>Writes <paramref name="certificates"/> as one PEM file in the given order (a leaf, then its issuers) and returns the path.</summary>
    public static string WriteChainPem(string path, params X509Certificate2[] certificates)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path) ?? ".");
        File.WriteAllText(path, string.Join("\n", certificates.Select(c => c.ExportCertificatePem())) + "\n");
        return path;
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

    private static X509Extension SubjectAlternativeNames(IEnumerable<string> names)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return san.Build();
    }

    private static byte[] RandomSerial()
    {
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        return serial;
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
        var serial = RandomSerial();
        var now = DateTimeOffset.UtcNow;
        // Neither the public-only certificate nor the key is disposed: on Linux the copy with the private key may share
        // native handles with them, and freeing those under a live certificate corrupts it (seen as a server
        // presenting another certificate). Test certificates are few; the finalizers reclaim them.
        var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-5), now.Add(lifetime), serial);
        return issued.CopyWithPrivateKey(key);
    }
}
