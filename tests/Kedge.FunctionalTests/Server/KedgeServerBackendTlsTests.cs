using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Server.Hosting;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.FunctionalTests.Server;

public sealed class KedgeServerBackendTlsTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _backendCa = TestCertificateAuthority.Create("Backend CA");
    private LoopbackServer _tlsBackend = null!;
    private LoopbackServer _mtlsBackend = null!;

    public async Task InitializeAsync()
    {
        _tlsBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = _backendCa.IssueServerCertificate("backend.test") }, _logs);
        _mtlsBackend = await LoopbackServer.StartAsync(
            new LoopbackServerOptions
            {
                ServerCertificate = _backendCa.IssueServerCertificate("backend.test"),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateAuthority = _backendCa,
            },
            _logs);
    }

    public async Task DisposeAsync()
    {
        await _tlsBackend.DisposeAsync();
        await _mtlsBackend.DisposeAsync();
        _backendCa.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task BackendTls_CaFileAndClientCertificate_Http2ToBackendWithKedgeIdentity()
    {
        var backendCaFile = _backendCa.WriteCaPem(_dir.Path, "backend-ca.crt");
        var (kedgeCert, kedgeKey) = TestCertificateAuthority.WritePem(_backendCa.IssueClientCertificate("kedge-as-client"), _dir.Combine("kedge-client"));
        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "verified", Host = "verified.kedge" },
                new() { Backend = "skip_verify", Host = "skip.kedge" },
                new() { Backend = "untrusted", Host = "untrusted.kedge" },
                new() { Backend = "mtls", Host = "mtls.kedge" },
                new() { Backend = "wrong_name", Host = "wrong-name.kedge" },
            ],
            HttpBackends =
            [
                new() { Name = "verified", Tls = new() { CaFile = backendCaFile, ServerName = "backend.test" }, Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
                new() { Name = "skip_verify", Tls = new() { InsecureSkipVerify = true }, Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
                new() { Name = "untrusted", Tls = new(), Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
                new() { Name = "mtls", Tls = new() { CaFile = backendCaFile, ServerName = "backend.test", ClientCertificateFile = kedgeCert, ClientKeyFile = kedgeKey }, Static = new() { Addresses = [$"127.0.0.1:{_mtlsBackend.Port}"] } },
                new() { Name = "wrong_name", Tls = new() { CaFile = backendCaFile, ServerName = "someone-else.test" }, Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
            ],
        };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        var verified = await http.GetFromJsonAsync<EchoReport>("http://verified.kedge/", LoopbackServer.JsonOptions);
        var skipped = await http.GetFromJsonAsync<EchoReport>("http://skip.kedge/", LoopbackServer.JsonOptions);
        using var untrusted = await http.GetAsync("http://untrusted.kedge/");
        var mtls = await http.GetFromJsonAsync<EchoReport>("http://mtls.kedge/", LoopbackServer.JsonOptions);
        using var wrongName = await http.GetAsync("http://wrong-name.kedge/");

        Assert.Equal("HTTP/2", verified!.Protocol);
        Assert.Equal("verified.kedge", verified.Host);
        Assert.Equal("HTTP/2", skipped!.Protocol);
        Assert.Equal(HttpStatusCode.BadGateway, untrusted.StatusCode);
        Assert.Equal(KedgeErrorTypes.TransportUnknownError, untrusted.GetKedgeError()!.Type);
        Assert.Equal("CN=kedge-as-client", mtls!.ClientCertificateSubject);
        Assert.Equal(HttpStatusCode.BadGateway, wrongName.StatusCode);
    }

    [Fact]
    public async Task BackendTls_CaFileAndClientCertificateRewritten_NewConnectionsUseNewFilesWithoutRestart()
    {
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        var caFile = otherCa.WriteCaPem(_dir.Path, "backend-ca.crt");
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(otherCa.IssueClientCertificate("kedge-before"), _dir.Combine("kedge-client"));
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "trust", Host = "trust.kedge" }, new() { Backend = "identity", Host = "identity.kedge" }],
            HttpBackends =
            [
                new() { Name = "trust", Tls = new() { CaFile = caFile, ServerName = "backend.test" }, Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
                new() { Name = "identity", Tls = new() { InsecureSkipVerify = true, ClientCertificateFile = clientCert, ClientKeyFile = clientKey }, Static = new() { Addresses = [$"127.0.0.1:{_mtlsBackend.Port}"] } },
            ],
        };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.FailedTargetBackoff = TimeSpan.Zero);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var untrusted = await http.GetAsync("http://trust.kedge/");
        using var unknownIdentity = await http.GetAsync("http://identity.kedge/");
        Assert.Equal(HttpStatusCode.BadGateway, untrusted.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, unknownIdentity.StatusCode);

        // A secret update: the backend's real CA and a client certificate it trusts replace the files' content.
        _backendCa.WriteCaPem(_dir.Path, "backend-ca.crt");
        TestCertificateAuthority.WritePem(_backendCa.IssueClientCertificate("kedge-after"), _dir.Combine("kedge-client"));

        var trusted = await EventuallyOkAsync(http, "http://trust.kedge/");
        var identity = await EventuallyOkAsync(http, "http://identity.kedge/");
        Assert.Equal("trust.kedge", trusted.Host);
        Assert.Equal("CN=kedge-after", identity.ClientCertificateSubject);
        Assert.NotEmpty(_logs.WithEventName("BackendTlsFilesReloaded"));
    }

    private static async Task<EchoReport> EventuallyOkAsync(HttpClient http, string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var response = await http.GetAsync(url);
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
            }

            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task ClientCertificateWithoutClientAuthUsage_Refused()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions());
        var (serverOnly, serverOnlyKey) = TestCertificateAuthority.WritePem(kedge.Ca.IssueServerCertificate("not-a-client.test"), _dir.Combine("server-only"));
        using var good = kedge.CreateClient(_logs);
        using var client = kedge.CreateClient(_logs, o => o.ClientCertificate = new() { CertificateFile = serverOnly, KeyFile = serverOnlyKey });
        using var http = new HttpClient(client.CreateHandler());
        using var goodHttp = new HttpClient(good.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://any.kedge/"));
        using var accepted = await goodHttp.GetAsync("http://any.kedge/");
        Assert.Equal(HttpStatusCode.BadGateway, accepted.StatusCode); // same CA, client usage: through TLS, then no route
    }

    [Fact]
    public async Task ClientCertificateFromOtherCa_Refused()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions());
        var (otherCert, otherKey) = TestCertificateAuthority.WritePem(_backendCa.IssueClientCertificate("stranger"), _dir.Combine("stranger"));
        using var client = kedge.CreateClient(_logs, o => o.ClientCertificate = new() { CertificateFile = otherCert, KeyFile = otherKey });
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://any.kedge/"));
    }
}
