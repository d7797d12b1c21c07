using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Grpc;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Server;

public sealed class KedgeServerLifecycleTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app =>
            app.Map("/slow", async (HttpContext context) =>
            {
                await Task.Delay(1500);
                await context.Response.WriteAsync("finished");
            }));
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes = [new() { Backend = "web", Host = "web.kedge" }],
        GrpcRoutes = [new() { Backend = "greeter" }],
        HttpBackends = [new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
    };

    [Fact]
    public async Task Shutdown_InFlightRequest_DrainsBeforeStopping()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        var before = _backend.RequestCount;
        var slow = http.GetStringAsync("http://web.kedge/slow");

        // Stop only once the request is in flight at the backend.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_backend.RequestCount == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var stopping = kedge.Server.App.StopAsync();

        Assert.Equal("finished", await slow);
        await stopping;
    }

    [Fact]
    public async Task ServerCertificate_SecretVolumeSwap_NewConnectionsGetNewCertificate()
    {
        KubernetesSecretVolume? secret = null;
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing(), settings =>
        {
            // Serve the certificate from a secret volume laid out like the kubelet's.
            secret = new KubernetesSecretVolume(Path.Combine(Path.GetDirectoryName(settings.TlsCertFile!)!, "..", "secret"));
            settings.TlsCertFile = secret.CertificatePath;
            settings.TlsKeyFile = secret.KeyPath;
        }, beforeStart: fixture => secret!.Update(fixture.Ca.IssueServerCertificate("kedge-v1.test")));

        string Serial() => PeerCertificateSubject(kedge.Server.ProxyPort, kedge);
        Assert.Contains("CN=kedge-v1.test", Serial(), StringComparison.Ordinal);

        secret!.Update(kedge.Ca.IssueServerCertificate("kedge-v2.test"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Serial().Contains("CN=kedge-v2.test", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the new server certificate was not picked up");
            await Task.Delay(200);
        }

        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
    }

    [Fact]
    public async Task GrpcPort_Separate_ServesGrpc()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing(), settings => settings.GrpcTlsPort = KedgeServerSettings.AnyFreePort);
        using var client = kedge.CreateClient(_logs, o => o.Mapper = Kedge.Client.Mapping.KedgeMapper.Single(new Uri($"https://localhost:{kedge.Server.GrpcPort}")));
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "port" });

        using var http = new HttpClient(client.CreateHandler());
        using var plainHttp = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://web.kedge/") { Version = HttpVersion.Version20 });

        Assert.NotEqual(0, kedge.Server.GrpcPort);
        Assert.NotEqual(kedge.Server.ProxyPort, kedge.Server.GrpcPort);
        Assert.Equal("greeter.kedge:9000", reply.Authority);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainHttp.StatusCode);
        Assert.Equal(KedgeErrorTypes.UnsupportedMediaType, plainHttp.GetKedgeError()?.Type);
    }

    [Fact]
    public async Task Apply_BackendRemoved_CountedWithGoActionDelete()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        var withoutWeb = Routing();
        withoutWeb.HttpRoutes.Clear();
        withoutWeb.HttpBackends.Clear();

        Assert.Empty(await kedge.Server.ApplyAsync(withoutWeb));
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var metrics = await Eventually.ValueAsync(() => admin.GetStringAsync("/metrics"), m => ChangeCount(m, "web", "delete") > 0, "the deletion is exported");

        // Go kedge's label values (create/update/delete): dashboards built on Go kedge keep working.
        Assert.Equal(1, ChangeCount(metrics, "web", "delete"));
        Assert.DoesNotContain("action=\"remove\"", metrics, StringComparison.Ordinal);
    }

    private static int ChangeCount(string metrics, string backend, string action)
        => metrics.Split('\n').Where(line => line.StartsWith("kedge_http_backend_configuration_changes_total{", StringComparison.Ordinal)
                && line.Contains($"backend_name=\"{backend}\"", StringComparison.Ordinal) && line.Contains($"action=\"{action}\"", StringComparison.Ordinal))
            .Sum(line => int.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));

    private static string PeerCertificateSubject(int port, KedgeServerFixture kedge)
    {
        using var tcp = new System.Net.Sockets.TcpClient("127.0.0.1", port);
        // Only the subject is read here; trust is not what this test checks.
#pragma warning disable CA5359
        using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
#pragma warning restore CA5359
        ssl.AuthenticateAsClient(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [kedge.ClientCertificate],
        });
        return ssl.RemoteCertificate!.Subject;
    }
}
