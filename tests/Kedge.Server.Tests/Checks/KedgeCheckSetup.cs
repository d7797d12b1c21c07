using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.Server.Tests.Checks;

/// <summary>
/// A kedge set up on disk the way an operator would (PEM files from a runtime CA, a native or Go config), checked with
/// <c>kedge check</c> through <see cref="KedgeProgram.RunAsync"/> exactly as the binary runs it.
/// </summary>
internal sealed class KedgeCheckSetup : IDisposable
{
    public KedgeCheckSetup()
    {
        Ca = TestCertificateAuthority.Create("Kedge Check Test CA");
        CaFile = Ca.WriteCaPem(Dir.Path);
    }

    public TempDirectory Dir { get; } = new();

    public TestCertificateAuthority Ca { get; }

    public string CaFile { get; }

    /// <summary>A server certificate issued by <see cref="Ca"/> with the given validity and names, as tls.crt/tls.key under <paramref name="folder"/>.</summary>
    public (string Cert, string Key) ServerCertificate(string folder, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] dnsNames)
        => TestCertificateAuthority.WritePem(Ca.IssueServerCertificate(notBefore, notAfter, dnsNames), Dir.Combine(folder));

    /// <summary>
    /// A root CA, an intermediate it signs and a server certificate for <c>kedge.example.com</c> the intermediate signs,
    /// written as PEM under <paramref name="folder"/>: <c>leaf.crt</c>, <c>tls.key</c>, <c>intermediate.crt</c>,
    /// <c>root.crt</c>.
    /// </summary>
    public (string Leaf, string Key, string Intermediate, string Root) IntermediateChain(string folder)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Check Root CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Check Intermediate CA", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = intermediateRequest.Create(root, now.AddDays(-1), now.AddYears(1), RandomSerial());

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=kedge.example.com", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("kedge.example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        using var leaf = leafRequest.Create(intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(intermediateKey), now.AddHours(-1), now.AddDays(60), RandomSerial());

        var directory = Dir.Combine(folder);
        var key = System.IO.Path.Combine(directory, "tls.key");
        var leafFile = TestCertificateAuthority.WriteChainPem(System.IO.Path.Combine(directory, "leaf.crt"), leaf);
        File.WriteAllText(key, leafKey.ExportPkcs8PrivateKeyPem());
        return (leafFile, key, TestCertificateAuthority.WriteChainPem(System.IO.Path.Combine(directory, "intermediate.crt"), intermediate),
            TestCertificateAuthority.WriteChainPem(System.IO.Path.Combine(directory, "root.crt"), root));
    }

    /// <summary>A certificate valid from yesterday for 30 days, for <c>localhost</c>, <c>kedge.example.com</c> and 127.0.0.1.</summary>
    public (string Cert, string Key) HealthyServerCertificate(string folder = "server")
        => ServerCertificate(folder, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), "localhost", "kedge.example.com", "127.0.0.1");

    public string Write(string name, string text)
    {
        var path = Dir.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// The flags of a kedge that serves TLS with <paramref name="cert"/>, asks callers for client certificates from
    /// <see cref="Ca"/>, and routes with the native <paramref name="config"/>.
    /// </summary>
    public string[] Flags(string cert, string key, string config, params string[] more)
        => [$"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", $"--server_tls_client_ca_files={CaFile}", $"--config={config}", .. more];

    /// <summary>Runs <c>kedge check <paramref name="args"/></c> to its end.</summary>
    public static async Task<(int Code, string Output, string Error)> CheckAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await KedgeProgram.RunAsync(["check", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        Ca.Dispose();
        Dir.Dispose();
    }

    private static byte[] RandomSerial()
    {
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        return serial;
    }
}
