using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Kedge.Client;
using Kedge.Client.Grpc;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;

namespace Kedge.FunctionalTests.Server;

public sealed class KedgeServerProxyTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backendA = null!;
    private LoopbackServer _backendB = null!;
    private LoopbackServer _grpcBackend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _backendA = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _backendB = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);

        // gRPC backends without TLS speak h2c (HTTP/2 with prior knowledge).
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" },
                new() { Backend = "balanced", Host = "balanced.shop.svc.cluster-b.kedge" },
                new() { Backend = "with_dead", Host = "flaky.shop.svc.cluster-b.kedge" },
                new() { Backend = "orders", Host = "test_endpoint.localhost.internal.example.com" },
                new() { Backend = "orders", Host = "forward.ext.example.com", Port = 8435, ProxyMode = ProxyMode.ForwardProxy },
                new() { Backend = "balanced", Host = "reverse.ext.example.com", ProxyMode = ProxyMode.ReverseProxy },
                new() { Backend = "orders", Host = "paths.ext.example.com", PathRules = ["/api/*"], Headers = new(StringComparer.OrdinalIgnoreCase) { ["X-Tenant"] = "blue" } },
                new() { Backend = "orders", Host = "secure-default.ext.example.com", Port = 443 },
                new() { Backend = "odd_spelling", Host = "odd.shop.svc.cluster-b.kedge" },
                new() { Backend = "all_dead", Host = "dead.shop.svc.cluster-b.kedge" },
            ],
            GrpcRoutes =
            [
                new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = "greeter.shop.svc.cluster-b.kedge" },
            ],
            HttpBackends =
            [
                new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backendA.Port}"] } },
                new() { Name = "balanced", Static = new() { Addresses = [$"127.0.0.1:{_backendA.Port}", $"127.0.0.1:{_backendB.Port}"] } },
                new() { Name = "with_dead", Static = new() { Addresses = [$"127.0.0.1:{ClosedPort()}", $"127.0.0.1:{_backendB.Port}"] } },
                new() { Name = "odd_spelling", Static = new() { Addresses = [$"LocalHost:{ClosedPort()}", $"127.000.000.001:{ClosedPort()}", $"127.0.0.1:{_backendB.Port}"] } },
                new() { Name = "all_dead", Static = new() { Addresses = [$"LocalHost:{ClosedPort()}", $"127.0.0.1:{ClosedPort()}"] } },
            ],
            GrpcBackends =
            [
                new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } },
            ],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backendA.DisposeAsync();
        await _backendB.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Http_ThroughKedge_BackendSeesOriginalHostAndNoProxyCredentials(string version)
    {
        using var client = _kedge.CreateClient(_logs, o => o.Mapper = Kedge.Client.Mapping.KedgeMapper.Single(_kedge.KedgeUrl, KedgeTokenSource.FromValue("mesh", "kedge-only")));
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/v1/orders?id=3") { Version = Version.Parse(version) };
        request.Headers.Authorization = new("Bearer", "for-the-backend");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("orders.shop.svc.cluster-b.kedge", echo!.Host);
        Assert.Equal("/v1/orders", echo.Path);
        Assert.Equal("?id=3", echo.Query);
        Assert.False(echo.Headers.ContainsKey("Proxy-Authorization"));
        Assert.Equal("Bearer for-the-backend", echo.Headers["Authorization"]);
        Assert.Equal("127.0.0.1", echo.Headers["X-Forwarded-For"]);
        Assert.True(Guid.TryParse(echo.Headers["X-Kedge-Request-ID"], out _));
        Assert.Equal("orders", response.Headers.GetValues("x-kedge-backend-name").Single());
        Assert.Equal(echo.Headers["X-Kedge-Request-ID"], response.Headers.GetValues("X-Kedge-Request-ID").Single());
    }

    [Fact]
    public async Task Http_HostWithUnderscore_RoutesEndToEnd()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>("http://test_endpoint.localhost.internal.example.com/x", LoopbackServer.JsonOptions);

        Assert.Equal("test_endpoint.localhost.internal.example.com", echo!.Host);
    }

    [Fact]
    public async Task Http_UnknownHost_502NoRouteWithKedgeErrorHeaders()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync("http://nobody.shop.svc.cluster-b.kedge/");
        var error = response.GetKedgeError();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("unknown route to service", error!.Message);
        Assert.Equal(KedgeErrorTypes.NoRoute, error.Type);
        Assert.Equal("unknown route to service", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http_TwoEndpoints_RoundRobinGivesEachAnEqualShare()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        var beforeA = _backendA.RequestCount;
        var beforeB = _backendB.RequestCount;

        for (var i = 0; i < 20; i++)
        {
            using var response = await http.GetAsync("http://balanced.shop.svc.cluster-b.kedge/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(10, _backendA.RequestCount - beforeA);
        Assert.Equal(10, _backendB.RequestCount - beforeB);
    }

    [Fact]
    public async Task Http_OneEndpointDead_NoFailedRequestAndDeadOneEjected()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        for (var i = 0; i < 10; i++)
        {
            using var response = await http.GetAsync("http://flaky.shop.svc.cluster-b.kedge/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Single(_logs.WithEventName("EndpointEjected"));
    }

    [Fact]
    public async Task Grpc_ExactServiceNameRoute_AllCallKindsWork()
    {
        using var client = _kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", client);
        var greeter = new Greeter.GreeterClient(channel);

        var unary = await greeter.SayHelloAsync(new HelloRequest { Name = "kedge" });
        using var stream = greeter.SayHellos(new HelloRequest { Name = "s", Count = 3 });
        var streamed = await stream.ResponseStream.ReadAllAsync().CountAsync();
        using var chat = greeter.Chat();
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "a" });
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "b" });
        await chat.RequestStream.CompleteAsync();
        var chatted = await chat.ResponseStream.ReadAllAsync().Select(r => r.Message).ToListAsync();

        Assert.Equal("Hello kedge", unary.Message);
        Assert.Equal("greeter.shop.svc.cluster-b.kedge", unary.Authority);
        Assert.Equal(3, streamed);
        Assert.Equal(["Hello a", "Hello b"], chatted);
    }

    [Fact]
    public async Task Grpc_UnknownRoute_UnimplementedWithGoMessage()
    {
        using var client = _kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("other.shop.svc.cluster-b.kedge", client);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Equal("unknown route to service", ex.Status.Detail);
    }

    [Fact]
    public async Task Tls_NoClientCertificate_Refused()
    {
        using var client = _kedge.CreateClient(_logs, o => o.ClientCertificate = null);
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://orders.shop.svc.cluster-b.kedge/"));
    }

    [Fact]
    public async Task Admin_HealthReadyAndMetrics()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        (await http.GetAsync("http://nobody.shop.svc.cluster-b.kedge/")).Dispose();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "http://paths.ext.example.com/api/x"))
        {
            request.Headers.Add("X-Tenant", "blue");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        }

        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };

        Assert.Equal("kedge isok", await admin.GetStringAsync("/_healthz"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("kedge_proxy_errors_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("type=\"no-route\"", metrics, StringComparison.Ordinal);
        Assert.Matches("kedge_requests_total\\{[^}]*route=\"paths.ext.example.com /api/\\*\"[^}]*\\} 1\\b", metrics);
        var config = await admin.GetStringAsync("/debug/config");
        Assert.Contains("balanced.shop.svc.cluster-b.kedge", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_InvalidConfiguration_RejectedAndLastGoodKept()
    {
        var bad = new KedgeServerOptions { HttpRoutes = [new() { Backend = "missing", Host = "x" }], HttpBackends = [new() { Name = "B", Static = new() }] };

        var errors = await _kedge.Server.ApplyAsync(bad);
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var response = await http.GetAsync("http://orders.shop.svc.cluster-b.kedge/");

        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpRoutes:0:Backend: names the backend 'missing'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpBackends:0:Name: 'B' must match", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpBackends:0:Static:Addresses: is empty", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _logs.ExpectErrors(e => e.EventId.Name == "ConfigurationRejected");
    }

    [Fact]
    public async Task ForwardProxy_AbsoluteFormRequest_RoutedWithTargetAuthority()
    {
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET http://forward.ext.example.com:8435/some/path?x=1 HTTP/1.1\nHost: forward.ext.example.com:8435\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains("\"host\":\"forward.ext.example.com:8435\"", response, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"/some/path\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_DeadEndpointsSpelledNonCanonically_RetriedOnceEachThenLiveOneServes()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler()) { Timeout = TimeSpan.FromSeconds(20) };

        for (var i = 0; i < 6; i++)
        {
            using var response = await http.GetAsync("http://odd.shop.svc.cluster-b.kedge/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, _logs.WithEventName("EndpointEjected").Count());
    }

    [Fact]
    public async Task Http_EveryEndpointDead_502NoConnectionAfterTryingEachOnce()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler()) { Timeout = TimeSpan.FromSeconds(20) };

        using var response = await http.GetAsync("http://dead.shop.svc.cluster-b.kedge/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(KedgeErrorTypes.NoConnectionToAllResolvedAddresses, response.GetKedgeError()!.Type);
        Assert.Equal(2, _logs.WithEventName("EndpointEjected").Count());
    }

    [Fact]
    public async Task ForwardProxy_EncodedDotSegments_CannotEscapePathRule()
    {
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET http://paths.ext.example.com/api/..%2Fadmin HTTP/1.1\nHost: paths.ext.example.com\nX-Tenant: blue\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.DoesNotContain("\"path\":\"/admin\"", response, StringComparison.Ordinal);
        if (response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            Assert.Contains("\"path\":\"/api/", response, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Connect_HostOfHttpRouteWithoutTunnelRoute_RefusedNoRoute()
    {
        // An HTTP route does not open tunnels: only a tunnel route (or an adhoc rule) does.
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "CONNECT orders.shop.svc.cluster-b.kedge:443 HTTP/1.1\nHost: orders.shop.svc.cluster-b.kedge:443\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 502", response, StringComparison.Ordinal);
        Assert.Contains("X-Kedge-Error-Type: no-route\r\n", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Http_InfoLogsHeader_ProxiedRequestLoggedAtInformationWithHeaderValue()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/info-logs");
        request.Headers.Add("X-Kedge-Info-Logs", "winch-alice");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("winch-alice", echo!.Headers["X-Kedge-Info-Logs"]); // Go kedge forwards it unchanged
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains("force-info-log-header=winch-alice", StringComparison.Ordinal)), "kedge logs the forced line");
        var line = Assert.Single(_logs.Entries, e => e.Message.Contains("force-info-log-header=winch-alice", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, line.Level);
        Assert.StartsWith("Request proxied inside cluster", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_InfoLogsHeader_FailedRequestLoggedAtErrorWithHeaderValue()
    {
        // A backend failure the caller asked to see: Error, as Go kedge logged it.
        _logs.ExpectErrors(e => e.Message.Contains("force-info-log-header=winch-bob", StringComparison.Ordinal));
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://dead.shop.svc.cluster-b.kedge/");
        request.Headers.Add("X-Kedge-Info-Logs", "winch-bob");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains("force-info-log-header=winch-bob", StringComparison.Ordinal)), "kedge logs the forced line");
        var line = Assert.Single(_logs.Entries, e => e.Message.Contains("force-info-log-header=winch-bob", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, line.Level);
        Assert.StartsWith("Failed to proxy request inside cluster. ", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no-route", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_InfoLogsHeader_RefusalTheCallerCausedLoggedAtInformationNotError()
    {
        // Any caller, before authentication, can send the header: its own refusals must not become Error lines.
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://nobody.shop.svc.cluster-b.kedge/");
        request.Headers.Add("X-Kedge-Info-Logs", "winch-eve");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains("force-info-log-header=winch-eve", StringComparison.Ordinal)), "kedge logs the forced line");
        var line = Assert.Single(_logs.Entries, e => e.Message.Contains("force-info-log-header=winch-eve", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, line.Level);
        Assert.StartsWith("Failed to proxy request inside cluster. no-route", line.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("x129")]
    public async Task Http_InfoLogsHeaderNotVisibleAsciiUpTo128_NotHonoured(string value)
    {
        value = value == "x129" ? new string('x', 129) : value;
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/info-logs-refused");
        request.Headers.TryAddWithoutValidation("X-Kedge-Info-Logs", value);
        var before = _logs.Entries.Count(e => e.Message.Contains("force-info-log-header", StringComparison.Ordinal));

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);
        // A second request with a valid value: once its line is logged, the refused one would have been logged too.
        using var marker = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/info-logs-marker");
        marker.Headers.Add("X-Kedge-Info-Logs", "marker");
        using var markerResponse = await http.SendAsync(marker);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(value, echo!.Headers["X-Kedge-Info-Logs"]); // it did reach kedge (and went on unchanged)
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains("force-info-log-header=marker", StringComparison.Ordinal)), "the marker is logged");
        Assert.Equal(before + 1, _logs.Entries.Count(e => e.Message.Contains("force-info-log-header", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Http_InfoLogsHeader128VisibleAsciiCharacters_Honoured()
    {
        // The upper bound itself is accepted (129 is not, above).
        var value = new string('y', 128);
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/info-logs-128");
        request.Headers.Add("X-Kedge-Info-Logs", value);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains("force-info-log-header=" + value + " ", StringComparison.Ordinal)), "the 128-character value is logged");
    }

    [Fact]
    public async Task Grpc_ProxyAuthorizationNeverReachesBackend_AuthorizationDoes()
    {
        var route = new KedgeRoute(_kedge.KedgeUrl) { ProxyAuth = KedgeTokenSource.FromValue("mesh", "kedge-only"), BackendAuth = KedgeTokenSource.FromValue("app", "for-backend") };
        using var client = _kedge.CreateClient(_logs, o => o.Mapper = Kedge.Client.Mapping.KedgeMapper.Single(_kedge.KedgeUrl, route.ProxyAuth, route.BackendAuth));
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", client);

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "t" });

        Assert.Equal("", reply.ProxyAuthorization);
        Assert.Equal("Bearer for-the-backend".Replace("for-the-backend", "for-backend", StringComparison.Ordinal), reply.Authorization);
    }

    [Fact]
    public async Task ForwardProxy_ReverseRequestToForwardOnlyRoute_NoRoute()
    {
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET /some/path HTTP/1.1\nHost: forward.ext.example.com:8435\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 502", response, StringComparison.Ordinal);
        Assert.Contains("X-Kedge-Error-Type: no-route", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ForwardProxy_AbsoluteRequestToReverseOnlyRoute_NoRoute()
    {
        var response = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET http://reverse.ext.example.com/ HTTP/1.1\nHost: reverse.ext.example.com\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 502", response, StringComparison.Ordinal);
        Assert.Contains("X-Kedge-Error-Type: no-route", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PortMatcher_AbsoluteHttpsTargetCountsAs443_PortlessHostAs80()
    {
        var absolute = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET https://secure-default.ext.example.com/ HTTP/1.1\nHost: secure-default.ext.example.com\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);
        var portless = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET / HTTP/1.1\nHost: secure-default.ext.example.com\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);
        var explicit443 = await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, "GET / HTTP/1.1\nHost: secure-default.ext.example.com:443\n", _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.StartsWith("HTTP/1.1 200", absolute, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 502", portless, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", explicit443, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/orders", "blue", HttpStatusCode.OK)]
    [InlineData("/web", "blue", HttpStatusCode.BadGateway)]
    [InlineData("/api/orders", "red", HttpStatusCode.BadGateway)]
    public async Task Http_PathAndHeaderRules(string path, string tenant, HttpStatusCode expected)
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://paths.ext.example.com" + path);
        request.Headers.Add("X-Tenant", tenant);

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Grpc_GrpcWebContentType_RoutedAsHttp()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://orders.shop.svc.cluster-b.kedge/kedge.testing.Greeter/SayHello")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc-web");

        using var response = await http.SendAsync(request);

        Assert.Equal("orders", response.Headers.GetValues("x-kedge-backend-name").Single());
    }

    internal static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
