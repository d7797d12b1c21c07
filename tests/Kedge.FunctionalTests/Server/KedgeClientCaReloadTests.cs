using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// kedge's client CA files (server_tls_client_ca_files) follow their content like the server certificate does: a CA
/// added to the bundle is trusted on new connections without a restart, and an update that cannot be loaded keeps the
/// previous CAs (never "no client certificates").
/// </summary>
public sealed class KedgeClientCaReloadTests : IDisposable
{
    private readonly TestLogSink _logs = new();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task ClientCaFiles_CaAddedThenFileEmptied_NewCaTrustedAndKeptAfterTheBadUpdate()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions(), settings => settings.TlsClientCertRequired = true);
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        var otherCaller = otherCa.IssueClientCertificate("other-caller");
        Assert.False(await HandshakeSucceedsAsync(kedge, otherCaller), "a caller from a CA kedge does not trust got through");

        await File.WriteAllTextAsync(kedge.CaFile, kedge.Ca.Certificate.ExportCertificatePem() + "\n" + otherCa.Certificate.ExportCertificatePem());
        await Eventually.TrueAsync(() => HandshakeSucceedsAsync(kedge, otherCaller), "the CA added to the client CA file was not trusted");
        Assert.Single(_logs.WithEventName("ClientCaFilesReloaded"));

        await File.WriteAllTextAsync(kedge.CaFile, string.Empty);
        // The files are checked when a handshake needs them, so keep connecting until the check has run.
        await Eventually.TrueAsync(
            async () => await HandshakeSucceedsAsync(kedge, kedge.ClientCertificate) && _logs.WithEventName("ClientCaFilesReloadFailed").Any(),
            "emptying the client CA file was not reported");

        Assert.True(await HandshakeSucceedsAsync(kedge, otherCaller), "the last good client CAs were dropped");
        Assert.True(await HandshakeSucceedsAsync(kedge, kedge.ClientCertificate), "the last good client CAs were dropped");
    }

    /// <summary>A new connection per call, so each one is a new handshake checked against the current CAs.</summary>
    private static async Task<bool> HandshakeSucceedsAsync(KedgeServerFixture kedge, System.Security.Cryptography.X509Certificates.X509Certificate2 clientCertificate)
    {
        using var http = KedgeTestHttp.Create(kedge, clientCertificate);
        try
        {
            using var response = await http.SendAsync(KedgeTestHttp.Request("nothing.kedge"));
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
