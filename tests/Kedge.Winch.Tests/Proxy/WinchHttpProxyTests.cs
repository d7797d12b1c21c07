using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Proxy;

public sealed class WinchHttpProxyTests : IAsyncLifetime
{
    private const string Mapper = """
        {"routes": [
          {"direct": {"key": "orders.shop.svc.cluster-b.internal:8080", "url": "{KEDGE}"}, "proxy_auth": "proxy", "backend_auth": "backend"},
          {"direct": {"key": "broken.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "empty-dummy"},
          {"regexp": {"exp": "^(?P<name>[a-z_]+)\\.cluster-b\\.internal$", "url": "{KEDGE}"}, "protocol": "HTTP", "proxyAuth": "proxy"},
          {"direct": {"key": "localhost:{CLOSED}", "url": "{KEDGE}"}, "protocol": 2}
        ]}
        """;

    private const string Auth = """
        {"auth_sources": [
          {"name": "proxy", "token": {"token": "proxy-token"}},
          {"name": "backend", "token": {"token": "backend-token"}},
          {"name": "empty-dummy", "dummy": {}}
        ]}
        """;

    private readonly TestLogSink _logs = new();

    // The gRPC-only route's target: a direct request to it fails on loopback, not in the system resolver.
    private readonly ClosedLoopbackPort _closed = new();
    private WinchTestEnvironment _env = null!;

    // A connection that never sends a byte, left open while winch stops (see Proxy_IdleConnectionWhileWinchStops_NoErrorLogged).
    private Socket? _idle;

    public async Task InitializeAsync() => _env = await WinchTestEnvironment.StartAsync(_logs, MapperConfig(), Auth);

    private string MapperConfig() => Mapper.Replace("{CLOSED}", _closed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        _idle?.Dispose();
        _closed.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Proxy_DirectRoute_SentToKedgeWithOriginalHostTokensAndRequestId()
    {
        using var client = _env.CreateProxiedClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://orders.shop.svc.cluster-b.internal:8080/orders/42?x=1") { Content = new StringContent("hello") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-own");
        request.Headers.TryAddWithoutValidation("X-Caller", "kept");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        Assert.Equal("orders.shop.svc.cluster-b.internal:8080", echo.Host);
        Assert.Equal("/orders/42", echo.Path);
        Assert.Equal("?x=1", echo.Query);
        Assert.Equal("hello", echo.Body);
        Assert.Equal("HTTP/2", echo.Protocol);
        Assert.Equal("localhost", echo.Sni);
        Assert.Contains("CN=winch-developer", echo.ClientCertificateSubject, StringComparison.Ordinal);
        Assert.Equal("Bearer proxy-token", Header(echo, "Proxy-Authorization"));
        Assert.Equal("Bearer backend-token", Header(echo, "Authorization"));
        Assert.Equal("kept", Header(echo, "X-Caller"));
        Assert.Matches("^winch-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", Header(echo, "X-Kedge-Request-ID"));
        Assert.Null(Header(echo, "X-Kedge-Info-Logs"));
    }

    [Fact]
    public async Task Proxy_TwoRequests_FreshRequestIdsOverOnePooledKedgeConnection()
    {
        using var client = _env.CreateProxiedClient();
        var first = (await client.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.internal:8080/a", LoopbackServer.JsonOptions))!;
        var second = (await client.GetFromJsonAsync<EchoReport>("http://test_endpoint.cluster-b.internal/b", LoopbackServer.JsonOptions))!;

        Assert.NotEqual(Header(first, "X-Kedge-Request-ID"), Header(second, "X-Kedge-Request-ID"));
        Assert.Equal(first.ConnectionId, second.ConnectionId);
        Assert.Equal(1, _env.Kedge.ConnectionCount);
    }

    [Fact]
    public async Task Proxy_RegexpRouteHostWithUnderscore_SentToKedgeWithProxyAuthOnly()
    {
        using var client = _env.CreateProxiedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://test_endpoint.cluster-b.internal/path");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-own");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        Assert.Equal("test_endpoint.cluster-b.internal", echo.Host);
        Assert.Equal("Bearer proxy-token", Header(echo, "Proxy-Authorization"));
        Assert.Equal("Bearer caller-own", Header(echo, "Authorization"));
    }

    [Fact]
    public async Task Proxy_NotKedgeDestination_SentDirectlyWithoutTokens()
    {
        using var client = _env.CreateProxiedClient();
        var target = $"http://localhost:{_env.Backend.Port}/direct";
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic for-winch-only");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        Assert.Equal($"localhost:{_env.Backend.Port}", echo.Host);
        Assert.Equal("/direct", echo.Path);
        Assert.Null(Header(echo, "Proxy-Authorization"));
        Assert.Null(Header(echo, "Authorization"));
        Assert.Equal(0, _env.Kedge.RequestCount);
    }

    [Fact]
    public async Task Proxy_GrpcOnlyRoute_NotUsedForHttpAndDirectFailureIs502()
    {
        using var client = _env.CreateProxiedClient();

        using var response = await client.GetAsync($"http://localhost:{_closed.Port}/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("transport-unknown-error", response.Headers.GetValues("X-Winch-Error-Type").Single());
        Assert.StartsWith($"direct request to localhost:{_closed.Port} failed", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
        Assert.Equal(0, _env.Kedge.RequestCount);
    }

    [Theory]
    [InlineData("http://10.1.2.3/x", "10.1.2.3")]
    [InlineData("http://[fd00::1]:8080/x", "[fd00::1]:8080")]
    public async Task Proxy_IpLiteral_502WithClearWinchError(string url, string shown)
    {
        using var client = _env.CreateProxiedClient();

        using var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("mapping-error", response.Headers.GetValues("X-Winch-Error-Type").Single());
        Assert.Contains($"was given the IP address {shown}", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_FailingAuthSource_502NamingTheSource()
    {
        using var client = _env.CreateProxiedClient();

        using var response = await client.GetAsync("http://broken.cluster-b.internal/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("auth-error", response.Headers.GetValues("X-Winch-Error-Type").Single());
        var error = response.Headers.GetValues("X-Winch-Error").Single();
        Assert.Contains("token source 'empty-dummy'", error, StringComparison.Ordinal);
        Assert.Contains("Error dummy auth source. No TokenValue specified", error, StringComparison.Ordinal);
        Assert.Equal(0, _env.Kedge.RequestCount);
    }

    [Fact]
    public async Task Proxy_KedgeErrorResponse_PassedBackUntouched()
    {
        using var client = _env.CreateProxiedClient();

        using var response = await client.GetAsync("http://orders.shop.svc.cluster-b.internal:8080" + WinchTestEnvironment.KedgeErrorPath);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("unknown route to service", response.Headers.GetValues("X-Kedge-Error").Single());
        Assert.Equal("no-route", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.False(response.Headers.Contains("X-Winch-Error"));
        Assert.Single(_logs.WithEventName("KedgeErrorResponse"), e => e.Category == "Kedge.Winch.HttpProxy");
    }

    [Fact]
    public async Task Proxy_ConnectAfterAnotherRequestOnTheConnection_501AndClosed()
    {
        // The first request of a connection is HTTP, so the CONNECT middleware hands it to Kestrel; the CONNECT that
        // follows on the kept-alive connection reaches the proxy, which cannot tunnel it.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _env.Winch.HttpPort);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        var first = await ReadHeadAndBodyAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", first, StringComparison.Ordinal);

        await stream.WriteAsync(Encoding.ASCII.GetBytes("CONNECT orders.shop.svc.cluster-b.internal:443 HTTP/1.1\r\nHost: orders.shop.svc.cluster-b.internal:443\r\n\r\n"));
        var answer = await ReadHeadAndBodyAsync(stream);

        Assert.StartsWith("HTTP/1.1 501", answer, StringComparison.Ordinal);
        Assert.Contains("X-Winch-Error: winch tunnels CONNECT orders.shop.svc.cluster-b.internal:443 only as the first request of a connection", answer, StringComparison.Ordinal);
        Assert.Contains("X-Winch-Error-Type: not-supported", answer, StringComparison.Ordinal);
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Proxy_ConnectToHostNoRouteMaps_403NotKedgeDestination()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _env.Winch.HttpPort);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n"));

        var answer = await ReadHeadAndBodyAsync(stream);

        Assert.StartsWith("HTTP/1.1 403", answer, StringComparison.Ordinal);
        Assert.Contains("X-Winch-Error-Type: not-kedge-destination", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_IdleConnectionWhileWinchStops_NoErrorLogged()
    {
        // The CONNECT middleware waits for a connection's first bytes; winch stopping meanwhile is not an error.
        _idle = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await _idle.ConnectAsync(IPAddress.Loopback, _env.Winch.HttpPort);
        using var client = _env.CreateDirectClient();
        Assert.Equal("winch isok", await client.GetStringAsync("/healthz"));

        // DisposeAsync stops winch with _idle still open, then the log sink fails on any Error line.
    }

    /// <summary>Reads until the connection closes or a whole answer (head and Content-Length body) is in.</summary>
    private static async Task<string> ReadHeadAndBodyAsync(Stream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var all = text.ToString();
            var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var lengthLine = all[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (all.Length >= end + 4 + length)
                {
                    return all;
                }
            }

            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return all;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    [Fact]
    public async Task Local_HealthzVersionAndMetrics_ServedOnProxyPort()
    {
        using var client = _env.CreateDirectClient();
        using var proxied = _env.CreateProxiedClient();
        await proxied.GetAsync("http://orders.shop.svc.cluster-b.internal:8080/counted");

        Assert.Equal("winch isok", await client.GetStringAsync("/healthz"));
        Assert.Contains("\"build_version\"", await client.GetStringAsync("/version"), StringComparison.Ordinal);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("winch_http_requests_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("via=\"kedge\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_OriginFormToAnotherHost_RefusedNeitherServedNorProxied()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_env.WinchHttpAddress}healthz");
        request.Headers.Host = $"localhost.example.invalid";

        using var response = await client.SendAsync(request);

        // Go winch matched the host by prefix and served this itself. Proxying it instead would let a page reach local
        // services through DNS rebinding (with credentials injected) and loop a request for winch's own port: refused.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("not-supported", response.Headers.GetValues("X-Winch-Error-Type").Single());
        Assert.Contains("absolute-form", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_ClearTokenOfStaticSource_400WithWinchError()
    {
        using var client = _env.CreateDirectClient();

        using var response = await client.GetAsync("/winch/cleartoken/proxy");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has no cached token to clear", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "http://evil.example")]
    public async Task Local_ClearTokenFromAnotherSitesPage_403(string header, string value)
    {
        using var client = _env.CreateDirectClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/winch/cleartoken/proxy");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("another site", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_KedgeWithoutHttp2_RequestResentOverHttp1AndRemembered()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, MapperConfig(), Auth, kedgeProtocols: Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
        using var client = env.CreateProxiedClient();

        using var first = await client.PostAsync("http://orders.shop.svc.cluster-b.internal:8080/one", new StringContent("body-1"));
        using var second = await client.PostAsync("http://orders.shop.svc.cluster-b.internal:8080/two", new StringContent("body-2"));

        Assert.True(first.IsSuccessStatusCode, $"{first.StatusCode} {string.Join(";", first.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value)))}");
        var one = (await first.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        var two = (await second.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
        Assert.Equal(("HTTP/1.1", "body-1", "orders.shop.svc.cluster-b.internal:8080"), (one.Protocol, one.Body, one.Host));
        Assert.Equal(("HTTP/1.1", "body-2"), (two.Protocol, two.Body));
        Assert.Single(logs.WithEventName("KedgeWithoutHttp2"));
    }

    private static string? Header(EchoReport echo, string name)
        => echo.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
