using System.Net;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Mapping;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// Failover cases a real kedge cannot be told to produce: a kedge that breaks the connection after reading the request,
/// and a kedge whose certificate the client does not trust. Kedge stand-ins: loopback Kestrel with mTLS.
/// </summary>
public sealed class KedgeFailoverEdgeTests : IAsyncLifetime
{
    private const string Target = "orders.failover.kedge:8080";
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly TestCertificateAuthority _otherCa = TestCertificateAuthority.Create();
    private LoopbackServer _breaking = null!;
    private LoopbackServer _untrusted = null!;
    private LoopbackServer _healthy = null!;
    private int _breakingRequests;

    public async Task InitializeAsync()
    {
        _breaking = await StartKedgeAsync(_ca, app => app.Use((HttpContext context, RequestDelegate _) =>
        {
            // The request reached this kedge; the connection then breaks with no answer.
            Interlocked.Increment(ref _breakingRequests);
            context.Abort();
            return Task.CompletedTask;
        }));
        _untrusted = await StartKedgeAsync(_otherCa);
        _healthy = await StartKedgeAsync(_ca);
    }

    public async Task DisposeAsync()
    {
        await _breaking.DisposeAsync();
        await _untrusted.DisposeAsync();
        await _healthy.DisposeAsync();
        _ca.Dispose();
        _otherCa.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Get_ConnectionBrokenAfterTheRequestReachedKedge_ResentToTheNextKedge()
    {
        using var client = CreateClient(_breaking, _healthy);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync($"http://{Target}/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _breakingRequests);
        Assert.Equal(1, _healthy.RequestCount);
    }

    [Fact]
    public async Task Post_ConnectionBrokenAfterTheRequestReachedKedge_FailsAndIsNotResent()
    {
        using var client = CreateClient(_breaking, _healthy);
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"http://{Target}/orders", new StringContent("charge once")));

        Assert.Equal(1, _breakingRequests);
        Assert.Equal(0, _healthy.RequestCount);
    }

    [Fact]
    public async Task Post_FirstKedgeCertificateUntrusted_NothingReachedItSoTheNextKedgeServes()
    {
        using var client = CreateClient(_untrusted, _healthy);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.PostAsync($"http://{Target}/orders", new StreamContent(new MemoryStream("streamed"u8.ToArray())));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _untrusted.RequestCount);
        Assert.Equal(1, _healthy.RequestCount);
        Assert.Single(_logs.WithEventName("KedgeEjected"));
    }

    [Fact]
    public async Task Get_EveryKedgeFails_LastKedgesErrorReachesTheCaller()
    {
        using var client = CreateClient(_untrusted, _breaking);
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://{Target}/orders"));

        Assert.Equal(1, _breakingRequests);
        Assert.Equal(2, _logs.WithEventName("KedgeEjected").Count());
    }

    [Fact]
    public async Task Grpc_BalancedChannelOverIpv6Kedges_FirstKedgeUntrusted_CallServedByTheSecond()
    {
        await using var first = await StartKedgeAsync(_otherCa, address: IPAddress.IPv6Loopback);
        await using var second = await StartKedgeAsync(_ca, address: IPAddress.IPv6Loopback);
        using var client = CreateClient(first, second);
        using var channel = Kedge.Client.Grpc.KedgeChannel.ForService(Target, client);

        var reply = await new Kedge.Testing.Greeter.Greeter.GreeterClient(channel).SayHelloAsync(new Kedge.Testing.Greeter.HelloRequest { Name = "v6" });

        Assert.Equal(Target, reply.Authority);
        Assert.Equal("CN=caller", reply.ClientCertificateSubject);
        Assert.Equal("kedge.test", reply.Sni);
        Assert.Equal(0, first.RequestCount);
        Assert.Equal(1, second.RequestCount);
    }

    private KedgeClient CreateClient(LoopbackServer first, LoopbackServer fallback)
    {
        var (cert, key) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var options = new KedgeClientOptions
        {
            Mapper = KedgeMapper.Single(new KedgeRoute(Url(first)) { FallbackKedgeUrls = [Url(fallback)], TlsServerName = "kedge.test" }),
            ClientCertificate = new() { CertificateFile = cert, KeyFile = key },
        };
        options.KedgeCaFiles.Add(_ca.WriteCaPem(_dir.Path));
        return KedgeClient.Create(options, _logs);
    }

    private static Uri Url(LoopbackServer kedge)
        => new(kedge.Options.Address.Equals(IPAddress.IPv6Loopback) ? $"https://[::1]:{kedge.Port}" : $"https://127.0.0.1:{kedge.Port}");

    private Task<LoopbackServer> StartKedgeAsync(TestCertificateAuthority serverCa, Action<WebApplication>? map = null, IPAddress? address = null)
        => LoopbackServer.StartAsync(
            new LoopbackServerOptions
            {
                ServerCertificate = serverCa.IssueServerCertificate("kedge.test"),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateAuthority = _ca,
                Address = address ?? IPAddress.Loopback,
            },
            _logs,
            map);
}
