using System.Net;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// Backends that read a request and close the connection without a byte of answer (issue 14, defect 1). The request
/// may have been processed, so by default it reaches the backend exactly once; a route that opts in with
/// <c>ResendIdempotentOnce</c> gets one resend of a body-less idempotent request on another endpoint.
/// </summary>
public sealed class BackendDropTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TestCertificateAuthority _backendCa = TestCertificateAuthority.Create("Backend CA");
    private readonly List<RawBackend> _backends = [];
    private readonly Dictionary<string, RawBackend[]> _byHost = [];
    private readonly TestDnsServer _dns = new();
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        // The caller gets kedge's 502 for each dropped request: expected, and logged below Error.
        var certificate = _backendCa.IssueServerCertificate("localhost");
        var h1 = Start(RawBackendBehavior.ReadThenClose);
        var h1Slow = Start(RawBackendBehavior.ReadThenClose, delay: TimeSpan.FromMilliseconds(300));
        var h2 = Start(RawBackendBehavior.ReadThenClose, http2: true, certificate);
        var h1Tls = Start(RawBackendBehavior.ReadThenClose, http2: false, certificate);
        var grpc = Start(RawBackendBehavior.ReadThenClose, http2: true);
        RawBackend[] h1Pair = [Start(RawBackendBehavior.ReadThenClose), Start(RawBackendBehavior.ReadThenClose)];
        RawBackend[] h2Pair = [Start(RawBackendBehavior.ReadThenClose, http2: true, certificate), Start(RawBackendBehavior.ReadThenClose, http2: true, certificate)];
        _byHost["h1.drop.kedge"] = [h1];
        _byHost["h1-slow.drop.kedge"] = [h1Slow];
        _byHost["h2.drop.kedge"] = [h2];
        _byHost["h1-tls.drop.kedge"] = [h1Tls];
        _byHost["grpc.drop.kedge"] = [grpc];
        var adhoc = Start(RawBackendBehavior.ReadThenClose);
        _byHost["orders.adhoc.test"] = [adhoc];
        _dns.Addresses["orders.adhoc.test"] = [IPAddress.Loopback];
        _byHost["h1.resend.kedge"] = h1Pair;
        _byHost["h2.resend.kedge"] = h2Pair;
        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "h1", Host = "h1.drop.kedge" },
                new() { Backend = "h1_slow", Host = "h1-slow.drop.kedge" },
                new() { Backend = "h2", Host = "h2.drop.kedge" },
                new() { Backend = "h1_tls", Host = "h1-tls.drop.kedge" },
                new() { Backend = "h1_pair", Host = "h1.resend.kedge", ResendIdempotentOnce = true },
                new() { Backend = "h2_pair", Host = "h2.resend.kedge", ResendIdempotentOnce = true },
            ],
            GrpcRoutes = [new() { Backend = "grpc", ServiceName = "kedge.testing.Greeter", AuthorityHost = "grpc.drop.kedge" }],
            HttpBackends =
            [
                new() { Name = "h1", Static = new() { Addresses = [$"127.0.0.1:{h1.Port}"] } },
                new() { Name = "h1_slow", Static = new() { Addresses = [$"127.0.0.1:{h1Slow.Port}"] } },
                new() { Name = "h2", Static = new() { Addresses = [$"127.0.0.1:{h2.Port}"] }, Tls = new() { InsecureSkipVerify = true } },
                new() { Name = "h1_tls", Static = new() { Addresses = [$"127.0.0.1:{h1Tls.Port}"] }, Tls = new() { InsecureSkipVerify = true } }, // ALPN http/1.1 only
                new() { Name = "h1_pair", Static = new() { Addresses = [.. h1Pair.Select(b => $"127.0.0.1:{b.Port}")] } },
                new() { Name = "h2_pair", Static = new() { Addresses = [.. h2Pair.Select(b => $"127.0.0.1:{b.Port}")] }, Tls = new() { InsecureSkipVerify = true } },
            ],
            GrpcBackends = [new() { Name = "grpc", Static = new() { Addresses = [$"127.0.0.1:{grpc.Port}"] } }],
            HttpAdhocRules = [new() { DnsNameMatcher = "*.adhoc.test", Port = new() { Default = adhoc.Port, Allowed = [adhoc.Port] }, AllowedReservedNetworks = ["127.0.0.0/8"] }],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.DnsServers = [_dns.EndPoint.ToString()]);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _dns.DisposeAsync();
        _backendCa.Dispose();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("h1.drop.kedge", "GET", false, "1.1")]
    [InlineData("h1.drop.kedge", "GET", false, "2.0")]
    [InlineData("h1.drop.kedge", "DELETE", false, "1.1")]
    [InlineData("h1.drop.kedge", "POST", false, "1.1")]
    [InlineData("h1.drop.kedge", "POST", false, "2.0")] // over HTTP/2 a body-less POST carries no Content-Length
    [InlineData("h1.drop.kedge", "POST", true, "1.1")]
    [InlineData("h1-slow.drop.kedge", "GET", false, "1.1")]
    [InlineData("h1-tls.drop.kedge", "GET", false, "2.0")]
    [InlineData("h1-tls.drop.kedge", "DELETE", false, "1.1")]
    [InlineData("orders.adhoc.test", "GET", false, "1.1")] // an adhoc destination: its own connection pool, same guard
    [InlineData("h2.drop.kedge", "GET", false, "1.1")]
    [InlineData("h2.drop.kedge", "DELETE", false, "2.0")]
    [InlineData("h2.drop.kedge", "POST", false, "2.0")]
    [InlineData("h2.drop.kedge", "POST", true, "1.1")]
    public async Task Http_BackendReadsThenCloses_ReceivedExactlyOnce(string host, string method, bool withBody, string callerVersion)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        using var request = KedgeTestHttp.Request(host, "/orders/7", version: Version.Parse(callerVersion));
        request.Method = new HttpMethod(method);
        request.Content = withBody ? new StringContent("{\"qty\":1}") : null;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("transport-unknown-error", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.Equal(1, Received(host));
    }

    [Theory]
    [InlineData("h1.resend.kedge", "GET", false, 2)]
    [InlineData("h1.resend.kedge", "DELETE", false, 2)]
    [InlineData("h1.resend.kedge", "POST", false, 1)]
    [InlineData("h1.resend.kedge", "POST", true, 1)]
    [InlineData("h1.resend.kedge", "PUT", true, 1)] // idempotent, but a body is never replayed
    [InlineData("h2.resend.kedge", "GET", false, 2)]
    [InlineData("h2.resend.kedge", "DELETE", false, 2)]
    [InlineData("h2.resend.kedge", "POST", false, 1)]
    [InlineData("h2.resend.kedge", "POST", true, 1)]
    public async Task Http_RouteResendsIdempotentOnce_IdempotentBodylessSentTwiceOthersOnce(string host, string method, bool withBody, int expected)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        using var request = KedgeTestHttp.Request(host, "/orders/7");
        request.Method = new HttpMethod(method);
        request.Content = withBody ? new StringContent("{\"qty\":1}") : null;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(expected, Received(host));
        Assert.All(_byHost[host], b => Assert.InRange(b.RequestCount, 0, 1)); // a resend goes to the other endpoint
        Assert.Equal(expected - 1, _logs.WithEventName("RequestResent").Count());
        if (expected == 2)
        {
            using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
            var backend = host.StartsWith("h1", StringComparison.Ordinal) ? "h1_pair" : "h2_pair";
            var line = new System.Text.RegularExpressions.Regex($"kedge_backend_retries_total\\{{[^}}]*backend_name=\"{backend}\"[^}}]*reason=\"resend_idempotent\"[^}}]*\\}} 1\\b");
            await Eventually.TrueAsync(async () => line.IsMatch(await admin.GetStringAsync("/metrics")), "kedge_backend_retries_total counts the resend");
        }
    }

    [Theory]
    [InlineData("h1.drop.kedge")]
    [InlineData("h2.drop.kedge")]
    public async Task Http_BodylessPostWithoutContentLength_ReceivedExactlyOnce(string host)
    {
        // What `curl -X POST` sends: no Content-Length, so YARP forwards it without request content.
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, $"POST /orders HTTP/1.1\nHost: {host}\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 502", response, StringComparison.Ordinal);
        Assert.Equal(1, Received(host));
    }

    [Fact]
    public async Task Grpc_BackendReadsThenCloses_ReceivedExactlyOnce()
    {
        using var client = _kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("grpc.drop.kedge", client);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "once" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(1, Received("grpc.drop.kedge"));
    }

    private int Received(string host) => _byHost[host].Sum(b => b.RequestCount);

    private RawBackend Start(RawBackendBehavior behavior, bool http2 = false, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null, TimeSpan delay = default)
    {
        var backend = RawBackend.Start(behavior, http2, certificate, delay);
        _backends.Add(backend);
        return backend;
    }
}
