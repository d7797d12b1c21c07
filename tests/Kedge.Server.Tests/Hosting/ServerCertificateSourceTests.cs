using System.Security.Cryptography.X509Certificates;
using Kedge.Server.Hosting;
using Kedge.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Server.Tests.Hosting;

public class ServerCertificateSourceTests
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// Kestrel checks the Extended Key Usage of the selected certificate on every handshake. On a certificate nobody had
    /// read yet, concurrent checks raced in the runtime's lazy EKU decoding and one could see no usages (about 1 in
    /// 10,000 fresh certificates with 4 threads; seen as kedge refusing its own certificate under load). Each round loads
    /// a fresh certificate the way kedge does and checks it from several threads at once, as handshakes do.
    /// </summary>
    [Fact]
    public void Current_ConcurrentEkuChecksOnFreshlyLoadedCertificate_AlwaysSeeServerAuthentication()
    {
        using var ca = TestCertificateAuthority.Create();
        using var dir = new TempDirectory();
        var (certFile, keyFile) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate(), dir.Path);
        const int Threads = 4;
        var rounds = 0;
        var refused = 0;
        X509Certificate2? current = null;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        var stop = false;
        using var barrier = new Barrier(Threads + 1);
        var checkers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            while (true)
            {
                barrier.SignalAndWait();
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                if (!AllowedForServerAuthentication(current!))
                {
                    Interlocked.Increment(ref refused);
                }

                barrier.SignalAndWait();
            }
        })).ToList();
        checkers.ForEach(t => t.Start());
        while (elapsed.Elapsed < TimeSpan.FromSeconds(6))
        {
            // A new source per round: a freshly loaded certificate, as after a rotation.
            current = new ServerCertificateSource(certFile, keyFile, TimeProvider.System, NullLogger.Instance).Current;
            rounds++;
            barrier.SignalAndWait();
            barrier.SignalAndWait();
        }

        Volatile.Write(ref stop, true);
        barrier.SignalAndWait();
        checkers.ForEach(t => t.Join());

        Assert.True(rounds > 1000, $"only {rounds} rounds ran");
        Assert.Equal(0, refused);
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

    /// <summary>The check Kestrel makes on a selected server certificate (CertificateLoader.IsCertificateAllowedForServerAuth).</summary>
    private static bool AllowedForServerAuthentication(X509Certificate2 certificate)
    {
        var hasEku = false;
        foreach (var extension in certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>())
        {
            hasEku = true;
            foreach (var oid in extension.EnhancedKeyUsages)
            {
                if (string.Equals(oid.Value, ServerAuthentication, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return !hasEku;
    }
}
