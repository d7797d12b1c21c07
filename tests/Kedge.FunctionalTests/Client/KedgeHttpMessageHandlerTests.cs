using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.FunctionalTests.Client;

public sealed class KedgeHttpMessageHandlerTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;

    public async Task InitializeAsync()
    {
        _kedge = await KedgeStandIn.StartAsync(_logs, app =>
        {
            app.Map("/backend-down", () => Results.Text("backend says no", statusCode: 503));
            app.Map("/kedge-error", (HttpContext context) =>
            {
                context.Response.Headers["X-Kedge-Error"] = "unknown route to service";
                context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
                return Results.Text("unknown route to service", statusCode: 502);
            });
        });
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("1.1", "http://orders.shop.svc.cluster-b.kedge/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge", "HTTP/1.1")]
    [InlineData("1.1", "http://orders.shop.svc.cluster-b.kedge:8080/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge:8080", "HTTP/1.1")]
    [InlineData("1.1", "https://orders.shop.svc.cluster-b.kedge/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge:443", "HTTP/1.1")]
    [InlineData("1.1", "https://orders.shop.svc.cluster-b.kedge:8443/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge:8443", "HTTP/1.1")]
    [InlineData("2.0", "http://orders.shop.svc.cluster-b.kedge/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge", "HTTP/2")]
    [InlineData("2.0", "http://orders.shop.svc.cluster-b.kedge:8080/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge:8080", "HTTP/2")]
    [InlineData("2.0", "https://orders.shop.svc.cluster-b.kedge/v1/orders?id=7", "orders.shop.svc.cluster-b.kedge:443", "HTTP/2")]
    [InlineData("1.1", "http://test_endpoint.localhost.internal.example.kedge/v1/orders?id=7", "test_endpoint.localhost.internal.example.kedge", "HTTP/1.1")]
    public async Task SendAsync_KedgeDestination_KeepsAuthorityAndUsesKedgeTls(string version, string target, string expectedAuthority, string expectedProtocol)
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, target) { Version = Version.Parse(version) };

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedAuthority, echo!.Host);
        Assert.Equal(expectedProtocol, echo.Protocol);
        Assert.Equal("/v1/orders", echo.Path);
        Assert.Equal("?id=7", echo.Query);
        Assert.Equal("localhost", echo.Sni);
        Assert.Equal("CN=caller-v1", echo.ClientCertificateSubject);
        Assert.Equal(new Uri(target), request.RequestUri);
    }

    [Fact]
    public async Task SendAsync_PostBody_ArrivesAtKedge()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.PostAsync("http://orders.shop.svc.cluster-b.kedge/submit", new StringContent("payload-123"));
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("POST", echo!.Method);
        Assert.Equal("payload-123", echo.Body);
    }

    [Fact]
    public async Task SendAsync_ManyTargetsOverHttp2_ShareOneConnection()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler()) { DefaultRequestVersion = HttpVersion.Version20 };
        var targets = Enumerable.Range(0, 8).Select(i => $"http://svc{i}.ns{i}.svc.cluster-b.kedge:{8000 + i}/").ToArray();

        // First one call to open the connection, then all targets concurrently: HTTP/2 multiplexes them on it.
        await http.GetAsync(targets[0]);
        var echoes = await Task.WhenAll(targets.Concat(targets).Select(async t =>
        {
            using var response = await http.GetAsync(t);
            return (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        }));

        Assert.Equal(targets.Length, echoes.Select(e => e.Host).Distinct().Count());
        Assert.Single(echoes.Select(e => e.ConnectionId).Distinct());
        Assert.Equal(1, _kedge.Server.ConnectionCount);
    }

    [Fact]
    public async Task SendAsync_TwoHandlersOfOneClient_ShareConnection()
    {
        using var client = _kedge.CreateClient(_logs);
        using var first = new HttpClient(client.CreateHandler()) { DefaultRequestVersion = HttpVersion.Version20 };
        using var second = new HttpClient(client.CreateHandler()) { DefaultRequestVersion = HttpVersion.Version20 };

        var a = await first.GetFromJsonAsync<EchoReport>("http://a.ns.svc.cluster-b.kedge/", LoopbackServer.JsonOptions);
        var b = await second.GetFromJsonAsync<EchoReport>("http://b.ns.svc.cluster-b.kedge/", LoopbackServer.JsonOptions);

        Assert.Equal(a!.ConnectionId, b!.ConnectionId);
    }

    [Fact]
    public async Task SendAsync_KedgeCertificateFromOtherCa_FailsWithTlsError()
    {
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        var otherCaFile = otherCa.WriteCaPem(_kedge.Dir.Path, "other-ca.crt");
        using var client = KedgeClient.Create(
            _kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl), o => { o.KedgeCaFiles.Clear(); o.KedgeCaFiles.Add(otherCaFile); }),
            _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://orders.shop.svc.cluster-b.kedge/"));

        Assert.Equal(HttpRequestError.SecureConnectionError, ex.HttpRequestError);
        Assert.Contains("TLS handshake with kedge localhost", ex.Message, StringComparison.Ordinal);
        Assert.Single(_logs.WithEventName("TlsHandshakeFailed"));
    }

    [Fact]
    public async Task SendAsync_TlsServerNameOverride_VerifiesAndSendsThatName()
    {
        var kedgeByIp = new Uri($"https://127.0.0.1:{_kedge.Server.Port}");
        var route = new KedgeRoute(kedgeByIp) { TlsServerName = KedgeStandIn.KedgeName };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.shop.svc.cluster-b.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.kedge/", LoopbackServer.JsonOptions);

        Assert.Equal(KedgeStandIn.KedgeName, echo!.Sni);
        Assert.Equal("orders.shop.svc.cluster-b.kedge", echo.Host);
    }

    [Fact]
    public async Task SendAsync_TlsServerNameNotOnCertificate_Fails()
    {
        var route = new KedgeRoute(_kedge.KedgeUrl) { TlsServerName = "impostor.example.com" };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.shop.svc.cluster-b.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://orders.shop.svc.cluster-b.kedge/"));

        Assert.Contains("impostor.example.com", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NoClientCertificate_KedgeRefuses()
    {
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl), o => o.ClientCertificate = null), _logs);
        using var http = new HttpClient(client.CreateHandler());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://orders.shop.svc.cluster-b.kedge/"));
    }

    [Fact]
    public async Task SendAsync_RouteTokens_SetProxyAndBackendAuthorizationOverwritingCaller()
    {
        var tokenFile = _kedge.Dir.Combine("backend-token");
        await File.WriteAllTextAsync(tokenFile, " backend-secret \n");
        var route = new KedgeRoute(_kedge.KedgeUrl)
        {
            ProxyAuth = KedgeTokenSource.FromValue("mesh", "proxy-secret"),
            BackendAuth = KedgeTokenSource.FromFile("backend", tokenFile),
        };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.shop.svc.cluster-b.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/");
        request.Headers.Authorization = new("Bearer", "caller-own");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("Bearer proxy-secret", echo!.Headers["Proxy-Authorization"]);
        Assert.Equal("Bearer backend-secret", echo.Headers["Authorization"]);
        Assert.Equal("caller-own", request.Headers.Authorization!.Parameter); // restored for the caller
        Assert.Null(request.Headers.ProxyAuthorization);
    }

    [Fact]
    public async Task SendAsync_NoBackendAuth_CallerAuthorizationPassesUntouched()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/");
        request.Headers.Authorization = new("Bearer", "caller-own");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("Bearer caller-own", echo!.Headers["Authorization"]);
        Assert.False(echo.Headers.ContainsKey("Proxy-Authorization"));
    }

    [Fact]
    public async Task SendAsync_FailingTokenSource_FailsOnlyItsRoutesNamingSource()
    {
        var failing = KedgeTokenSource.FromDelegate("vault", _ => ValueTask.FromException<string>(new InvalidOperationException("vault sealed")));
        var mapper = KedgeMapper.Direct(
        [
            new("needs-token.kedge", new KedgeRoute(_kedge.KedgeUrl) { ProxyAuth = failing }),
            new("no-token.kedge", new KedgeRoute(_kedge.KedgeUrl)),
        ]);
        using var client = KedgeClient.Create(_kedge.ClientOptions(mapper), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<KedgeTokenSourceException>(() => http.GetAsync("http://needs-token.kedge/"));
        using var ok = await http.GetAsync("http://no-token.kedge/");

        Assert.Equal("vault", ex.TokenSourceName);
        Assert.Contains("token source 'vault'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs-token.kedge", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task SendAsync_SlowTokenSource_AwaitedBeforeSend()
    {
        var slow = KedgeTokenSource.FromDelegate("slow", async ct =>
        {
            await Task.Delay(50, ct);
            return "late-token";
        });
        var route = new KedgeRoute(_kedge.KedgeUrl) { ProxyAuth = slow, BackendAuth = KedgeTokenSource.FromValue("fast", "fast-token") };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.kedge/", LoopbackServer.JsonOptions);

        Assert.Equal("Bearer late-token", echo!.Headers["Proxy-Authorization"]);
        Assert.Equal("Bearer fast-token", echo.Headers["Authorization"]);
    }

    [Fact]
    public async Task SendAsync_TokenSourceThrowingSynchronously_FailsAsHttpRequestException()
    {
        var route = new KedgeRoute(_kedge.KedgeUrl) { BackendAuth = new ThrowingTokenSource() };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<KedgeTokenSourceException>(() => http.GetAsync("http://orders.kedge/"));

        Assert.Contains("token source 'throwing'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _kedge.Server.ConnectionCount);
    }

    [Fact]
    public async Task SendAsync_NotKedgeDestination_PassesThroughUntouched()
    {
        await using var direct = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        var route = new KedgeRoute(_kedge.KedgeUrl) { ProxyAuth = KedgeTokenSource.FromValue("mesh", "never-leaks") };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>($"http://localhost:{direct.Port}/direct", LoopbackServer.JsonOptions);

        Assert.Equal($"localhost:{direct.Port}", echo!.Host);
        Assert.False(echo.Headers.ContainsKey("Proxy-Authorization"));
        Assert.Equal(0, _kedge.Server.ConnectionCount);
    }

    [Theory]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://[::1]:8080/")]
    public async Task SendAsync_IpLiteralTarget_FailsNamingTargetAndMapper(string target)
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(target));

        Assert.Contains("Kedge could not map", ex.Message, StringComparison.Ordinal);
        Assert.Contains("regexp mapper", ex.Message, StringComparison.Ordinal);
        Assert.IsType<KedgeMappingException>(ex.InnerException);
    }

    [Fact]
    public async Task SendAsync_KedgeReportsError_CallerReadsTypedErrorAndItIsLogged()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync("http://missing.ns.svc.cluster-b.kedge/kedge-error");
        var error = response.GetKedgeError();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.NotNull(error);
        Assert.Equal(KedgeErrorTypes.NoRoute, error.Type);
        Assert.Equal("unknown route to service", error.Message);
        var log = Assert.Single(_logs.WithEventName("KedgeErrorResponse"));
        Assert.Contains("no-route", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_BackendError_IsNotKedgeError()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync("http://orders.ns.svc.cluster-b.kedge/backend-down");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Null(response.GetKedgeError());
        Assert.Empty(_logs.WithEventName("KedgeErrorResponse"));
    }

    [Fact]
    public async Task SendAsync_CallerHostAndVersion_RestoredAfterSend()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.ns.svc.cluster-b.kedge/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.TryAddWithoutValidation("Host", "caller_vhost:abc");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("orders.ns.svc.cluster-b.kedge", echo!.Host); // kedge routes by the URI's authority
        Assert.Equal("HTTP/2", echo.Protocol);
        Assert.True(request.Headers.NonValidated.TryGetValues("Host", out var host));
        Assert.Equal("caller_vhost:abc", host.ToString());
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, request.VersionPolicy);
        Assert.Equal(new Uri("http://orders.ns.svc.cluster-b.kedge/"), request.RequestUri);
    }

    [Fact]
    public async Task SendAsync_CustomTokenSourceWithLineBreak_RefusedBeforeSending()
    {
        var route = new KedgeRoute(_kedge.KedgeUrl) { ProxyAuth = new FixedTokenSource("evil", "x\r\nX-Injected: 1") };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<KedgeTokenSourceException>(() => http.GetAsync("http://orders.kedge/"));

        Assert.Contains("token source 'evil'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line breaks", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _kedge.Server.RequestCount);
    }

    [Fact]
    public async Task SendAsync_TokensToPlainTextKedge_Refused()
    {
        await using var plainKedge = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        var route = new KedgeRoute(new Uri($"http://localhost:{plainKedge.Port}")) { ProxyAuth = KedgeTokenSource.FromValue("mesh", "secret") };
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Direct([new("orders.kedge", route)])), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://orders.kedge/"));

        Assert.Contains("would send tokens in clear text", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, plainKedge.RequestCount);
    }

    [Fact]
    public async Task SendAsync_HttpsTargetThroughPlainTextKedge_RefusedButHttpTargetWorks()
    {
        await using var plainKedge = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(new Uri($"http://localhost:{plainKedge.Port}"))), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("https://orders.kedge/"));
        var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.kedge/", LoopbackServer.JsonOptions);

        Assert.Contains("would travel in clear text", ex.Message, StringComparison.Ordinal);
        Assert.Equal("orders.kedge", echo!.Host);
        Assert.Equal(1, plainKedge.RequestCount);
    }

    [Fact]
    public async Task SendAsync_TwoRoutesNameOneKedgeDifferently_SecondRefused()
    {
        var mapper = KedgeMapper.Direct(
        [
            new("a.kedge", new KedgeRoute(_kedge.KedgeUrl) { TlsServerName = "localhost" }),
            new("b.kedge", new KedgeRoute(_kedge.KedgeUrl) { TlsServerName = KedgeStandIn.KedgeName }),
        ]);
        using var client = KedgeClient.Create(_kedge.ClientOptions(mapper), _logs);
        using var http = new HttpClient(client.CreateHandler());

        using var ok = await http.GetAsync("http://a.kedge/");
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://b.kedge/"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("give routes to the same kedge address the same TlsServerName", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_PfxClientCertificate_IsPresented()
    {
        var pfx = _kedge.Dir.Combine("caller.pfx");
        await File.WriteAllBytesAsync(pfx, _kedge.Ca.IssueClientCertificate("pfx-caller").Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pw"));
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl), o => o.ClientCertificate = new() { PfxFile = pfx, Password = "pw" }), _logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.kedge/", LoopbackServer.JsonOptions);

        Assert.Equal("CN=pfx-caller", echo!.ClientCertificateSubject);
    }

    [Fact]
    public async Task SendAsync_RetriedByOuterHandler_SeesCallerUriEachTime()
    {
        using var client = _kedge.CreateClient(_logs);
        var seen = new List<Uri>();
        var retry = new RecordingRetryHandler(seen) { InnerHandler = client.CreateHandler() };
        using var http = new HttpClient(retry);

        using var response = await http.GetAsync("http://orders.ns.svc.cluster-b.kedge/retry");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["http://orders.ns.svc.cluster-b.kedge/retry", "http://orders.ns.svc.cluster-b.kedge/retry"], seen.Select(u => u.ToString()));
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task SendAsync_KedgeOnIpv6Loopback_VerifiesIpSanAndKeepsAuthority(string version)
    {
        using var logs = new TestLogSink();
        await using var kedge6 = await KedgeStandIn.StartAsync(logs, address: IPAddress.IPv6Loopback);
        using var client = KedgeClient.Create(kedge6.ClientOptions(KedgeMapper.Single(new Uri($"https://[::1]:{kedge6.Server.Port}"))), logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge:8080/") { Version = Version.Parse(version) };

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal("orders.shop.svc.cluster-b.kedge:8080", echo!.Host);
        Assert.Equal("CN=caller-v1", echo.ClientCertificateSubject);
    }

    private sealed class FixedTokenSource(string name, string token) : KedgeTokenSource(name)
    {
        public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(token);
    }

    private sealed class ThrowingTokenSource() : KedgeTokenSource("throwing")
    {
        public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("no credentials on this node");
    }

    private sealed class RecordingRetryHandler(List<Uri> seen) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.RequestUri!);
            (await base.SendAsync(request, cancellationToken)).Dispose();
            seen.Add(request.RequestUri!);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
