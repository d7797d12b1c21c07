using Kedge.Common.Tls;
using Kedge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Client.Tests.Tls;

public class TlsFilesTests
{
    [Fact]
    public void WatchTrustBundle_EmptyFile_RefusedNamingTheFileAndTheFix()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("ca.crt");
        File.WriteAllText(path, string.Empty);
        var snapshot = TlsFiles.WatchTrustBundle([path], new FakeTimeProvider(), _ => { }, _ => { });

        var error = Assert.Throws<IOException>(snapshot.GetCurrent);

        Assert.Contains($"The CA file '{path}' holds no certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains("BEGIN CERTIFICATE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WatchTrustBundle_NeitherPemNorDer_RefusedNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("ca.crt");
        File.WriteAllText(path, "not a certificate");
        var snapshot = TlsFiles.WatchTrustBundle([path], new FakeTimeProvider(), _ => { }, _ => { });

        var error = Assert.Throws<IOException>(snapshot.GetCurrent);

        Assert.Contains($"The CA file '{path}' is neither PEM nor a DER certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WatchTrustBundle_ChangedToEmpty_KeepsLastGoodAndReportsThenFollowsAGoodChange()
    {
        using var first = TestCertificateAuthority.Create("First CA");
        using var second = TestCertificateAuthority.Create("Second CA");
        using var dir = new TempDirectory();
        var path = first.WriteCaPem(dir.Path);
        var clock = new FakeTimeProvider();
        var failures = new List<Exception>();
        var changes = 0;
        var snapshot = TlsFiles.WatchTrustBundle([path], clock, _ => changes++, failures.Add);
        Assert.Equal(first.Certificate.Thumbprint, Assert.Single(snapshot.GetCurrent().Certificates).Thumbprint);

        File.WriteAllText(path, string.Empty);
        clock.Advance(TlsFiles.DefaultCheckInterval);
        var kept = snapshot.GetCurrent();
        second.WriteCaPem(dir.Path);
        clock.Advance(TlsFiles.DefaultCheckInterval);
        var followed = snapshot.GetCurrent();

        Assert.Equal(first.Certificate.Thumbprint, Assert.Single(kept.Certificates).Thumbprint);
        Assert.IsType<InvalidDataException>(Assert.Single(failures));
        Assert.Equal(second.Certificate.Thumbprint, Assert.Single(followed.Certificates).Thumbprint);
        Assert.Equal(1, changes);
    }

    [Fact]
    public void WatchCertificate_ForServerWithClientOnlyCertificate_Refused()
    {
        using var ca = TestCertificateAuthority.Create();
        using var dir = new TempDirectory();
        var (certFile, keyFile) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("client"), dir.Path);

        var asClient = TlsFiles.WatchCertificate(certFile, keyFile, forServer: false, new FakeTimeProvider(), _ => { }, _ => { }).GetCurrent();
        var asServer = TlsFiles.WatchCertificate(certFile, keyFile, forServer: true, new FakeTimeProvider(), _ => { }, _ => { });

        Assert.True(asClient.AllowsClientAuthentication);
        Assert.False(asClient.AllowsServerAuthentication);
        Assert.Contains("without Server Authentication", Assert.Throws<IOException>(asServer.GetCurrent).Message, StringComparison.Ordinal);
    }
}
