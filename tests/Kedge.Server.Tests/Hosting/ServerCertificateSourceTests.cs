using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kedge.Server.Hosting;
using Kedge.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Server.Tests.Hosting;

public class ServerCertificateSourceTests
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Kestrel checks the Extended Key Usage of the selected certificate on every handshake. The runtime decodes the
    /// usages lazily, writing the list into the shared extension object while it fills it, so concurrent first reads of
    /// a fresh certificate could see no usages and refuse kedge's own certificate (about 1 in 10,000 fresh
    /// certificates checked by 4 threads at once; seen as a rare failure of a functional test under load). The loader
    /// decodes them before it publishes the certificate. Probe: once decoded, the extension answers from its decoded
    /// list, so replacing its raw bytes afterwards (with a clientAuth-only encoding) no longer changes the answer; an
    /// undecoded extension would decode the replaced bytes.
    /// </summary>
    [Fact]
    public void Current_FreshlyLoaded_ExtendedKeyUsageDecodedBeforeTheCertificateIsPublished()
    {
        using var ca = TestCertificateAuthority.Create();
        using var dir = new TempDirectory();
        var (certFile, keyFile) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate(), dir.Path);
        var clientOnly = new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false).RawData;

        var certificate = new ServerCertificateSource(certFile, keyFile, TimeProvider.System, NullLogger.Instance).Current;
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        usage.RawData = clientOnly;

        Assert.Equal([ServerAuthentication], usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
    }

    [Fact]
    public void Current_CertificateWithoutServerAuthentication_FailsNamingTheFileAndTheFix()
    {
        using var ca = TestCertificateAuthority.Create();
        using var dir = new TempDirectory();
        var (certFile, keyFile) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("not-a-server"), dir.Path);
        var source = new ServerCertificateSource(certFile, keyFile, TimeProvider.System, NullLogger.Instance);

        var error = Assert.Throws<IOException>(() => source.Current);

        Assert.Contains(certFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("without Server Authentication", error.Message, StringComparison.Ordinal);
        Assert.Contains("serverAuth", error.Message, StringComparison.Ordinal);
    }
}
