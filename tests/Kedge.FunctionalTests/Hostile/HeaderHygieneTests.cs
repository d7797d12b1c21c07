using System.Net.Security;
using System.Text;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// Hostile HTTP/1.1 headers, sent byte for byte over mTLS: hop-by-hop headers, request IDs, forwarding headers and
/// request-smuggling forms. Each test asserts kedge's answer and what the echo backend received.
/// </summary>
public sealed class HeaderHygieneTests : IAsyncLifetime
{
    private const string Host = "hygiene.shop.svc.cluster-b.kedge";

    private readonly TestLogSink _logs = new();

    // Kedge's own logs, apart from the backend's and the client's (Kestrel's categories have the same names in each).
    private readonly TestLogSink _kedgeLogs = new();
    private readonly TestDnsServer _dns = new();
    private LoopbackServer _backend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app =>
        {
            app.UseWebSockets();
            app.Map("/ws", async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
                }

                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await socket.SendAsync("hello over websocket"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
                await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
            });
        });
        _dns.Addresses["local.guarded.test"] = [System.Net.IPAddress.Loopback];
        _kedge = await KedgeServerFixture.StartAsync(_kedgeLogs, Routing(), settings => settings.DnsServers = [_dns.EndPoint.ToString()]);
    }

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes = [new() { Backend = "echo", Host = Host }],
        HttpBackends = [new() { Name = "echo", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        // local.guarded.test resolves only to loopback, which adhoc rules refuse unless a rule allows it.
        HttpAdhocRules = [new() { DnsNameMatcher = "*.guarded.test", Port = new() { Default = 80, Allowed = [80] } }],
    };

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        await _dns.DisposeAsync();
        _kedgeLogs.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task HopByHop_H2cUpgradeAndConnectionNamedHeaders_NoneReachBackend()
    {
        var response = await SendAsync(
            $"GET /hop HTTP/1.1\nHost: {Host}\nConnection: Upgrade, HTTP2-Settings, X-Hop-Secret\nUpgrade: h2c\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\n" +
            "X-Hop-Secret: for-the-next-hop-only\nKeep-Alive: timeout=5\nProxy-Connection: keep-alive\nTE: gzip\nX-End-To-End: kept\n");

        var echo = response.ExpectEcho();
        Assert.Empty(Leaked(echo, "Connection", "Upgrade", "HTTP2-Settings", "X-Hop-Secret", "Keep-Alive", "Proxy-Connection", "TE"));
        Assert.Equal("kept", echo.Headers["X-End-To-End"]);
    }

    [Fact]
    public async Task HopByHop_ConnectionNamesEndToEndHeaderCaseInsensitively_Removed()
    {
        // Names that are not header names ("bad name") or name content headers must not break the request. (Kestrel keeps
        // this form of the Connection header as sent; some forms it reduces to close/keep-alive/Upgrade: see the README.)
        var response = await SendRawAsync($"POST /hop HTTP/1.1\nHost: {Host}\nConnection: Upgrade, x-internal-token , Content-Language, bad name, Content-Length\nConnection: close\n" +
            "X-Internal-Token: secret\nContent-Language: de\nAuthorization: Bearer backend\nContent-Length: 4\n\nbody");

        var echo = response.ExpectEcho();
        Assert.Empty(Leaked(echo, "X-Internal-Token", "Content-Language"));
        Assert.Equal("body", echo.Body);
        Assert.Equal("Bearer backend", echo.Headers["Authorization"]);
    }

    [Fact]
    public async Task HopByHop_WebSocketUpgrade_StillProxied()
    {
        await using var ssl = await RawTlsClient.ConnectAsync(_kedge.Server.ProxyPort, _kedge.ClientCertificate, _kedge.Ca.Certificate, SslApplicationProtocol.Http11);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nHost: {Host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));

        var received = await ReadToEndAsync(ssl);

        Assert.StartsWith("HTTP/1.1 101 ", received, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", received, StringComparison.Ordinal);
        Assert.Contains("hello over websocket", received, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc\u0001def")]
    [InlineData("tab\tinside")]
    [InlineData("caf\u00e9")]
    [InlineData("with space")]
    public async Task RequestId_ControlOrNonAsciiBytes_ReplacedWithFreshIdAndEchoed(string hostile)
    {
        var head = $"GET /id HTTP/1.1\r\nHost: {Host}\r\nX-Kedge-Request-ID: ";
        var bytes = Encoding.ASCII.GetBytes(head).Concat(Encoding.UTF8.GetBytes(hostile)).Concat(Encoding.ASCII.GetBytes("\r\nConnection: close\r\n\r\n")).ToArray();

        var response = RawHttpResponse.Parse(await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, bytes, _kedge.ClientCertificate, _kedge.Ca.Certificate));

        var echo = response.ExpectEcho();
        Assert.True(Guid.TryParse(echo.Headers["X-Kedge-Request-ID"], out _), echo.Headers["X-Kedge-Request-ID"]);
        Assert.Equal(echo.Headers["X-Kedge-Request-ID"], response.Headers["X-Kedge-Request-ID"]);
    }

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("ctl\u0001byte")]
    public async Task OtherHeader_NonAsciiOrControlBytes_ForwardedAsReceived(string hostile)
    {
        var bytes = Encoding.ASCII.GetBytes($"GET /bytes HTTP/1.1\r\nHost: {Host}\r\nX-Caller-Text: ").Concat(Encoding.UTF8.GetBytes(hostile)).Concat(Encoding.ASCII.GetBytes("\r\nConnection: close\r\n\r\n")).ToArray();

        var response = RawHttpResponse.Parse(await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, bytes, _kedge.ClientCertificate, _kedge.Ca.Certificate));

        Assert.Equal(hostile, response.ExpectEcho().Headers["X-Caller-Text"]);
    }

    [Fact]
    public async Task RequestId_TooLong_ReplacedWithFreshId()
    {
        var response = await SendAsync($"GET /id HTTP/1.1\nHost: {Host}\nX-Kedge-Request-ID: {new string('a', 129)}\n");

        var echo = response.ExpectEcho();
        Assert.True(Guid.TryParse(echo.Headers["X-Kedge-Request-ID"], out _));
        Assert.Equal(echo.Headers["X-Kedge-Request-ID"], response.Headers["X-Kedge-Request-ID"]);
    }

    [Fact]
    public async Task RequestId_VisibleAsciiUpTo128_KeptAndEchoed()
    {
        var id = "winch-" + new string('x', 116) + "!~{}#%";
        var response = await SendAsync($"GET /id HTTP/1.1\nHost: {Host}\nX-Kedge-Request-ID: {id}\n");

        Assert.Equal(id, response.ExpectEcho().Headers["X-Kedge-Request-ID"]);
        Assert.Equal(id, response.Headers["X-Kedge-Request-ID"]);
    }

    [Fact]
    public async Task ForwardedHeaders_CallerSuppliedByDefault_ReplacedByWhatKedgeSaw()
    {
        var response = await SendAsync(
            $"GET /fwd HTTP/1.1\nHost: {Host}\nX-Forwarded-For: 10.9.9.9\nX-Forwarded-Host: admin.internal\nX-Forwarded-Proto: http\n" +
            "X-Forwarded-Prefix: /admin\nX-Forwarded-Port: 80\nForwarded: for=10.9.9.9;host=admin.internal\nX-Real-IP: 10.9.9.9\n");

        var echo = response.ExpectEcho();
        Assert.Equal("127.0.0.1", echo.Headers["X-Forwarded-For"]);
        Assert.Empty(Leaked(echo, "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Port", "Forwarded", "X-Real-IP"));
    }

    [Fact]
    public async Task ForwardedHeaders_AppendMode_CallerChainKeptAndPeerAppended()
    {
        await using var trusting = await KedgeServerFixture.StartAsync(_logs, Routing(), settings => settings.ForwardedHeaders = ForwardedHeadersMode.Append);

        var response = RawHttpResponse.Parse(await RawTlsClient.SendAsync(trusting.Server.ProxyPort,
            $"GET /fwd HTTP/1.1\nHost: {Host}\nX-Forwarded-For: 10.9.9.9\nX-Forwarded-Host: shop.example.com\nX-Forwarded-Proto: https\nForwarded: for=10.9.9.9\n",
            trusting.ClientCertificate, trusting.Ca.Certificate));

        var echo = response.ExpectEcho();
        Assert.Equal("10.9.9.9, 127.0.0.1", echo.Headers["X-Forwarded-For"]);
        Assert.Equal("shop.example.com", echo.Headers["X-Forwarded-Host"]);
        Assert.Equal("https", echo.Headers["X-Forwarded-Proto"]);
        Assert.Equal("for=10.9.9.9", echo.Headers["Forwarded"]);
    }

    [Fact]
    public void ForwardedHeaders_UndefinedMode_RefusedAtStartNamingTheSetting()
    {
        var settings = new KedgeServerSettings { HttpTlsPort = 0, GrpcTlsPort = 0, ForwardedHeaders = (ForwardedHeadersMode)7 };

        var error = Assert.Throws<InvalidOperationException>(() => Kedge.Server.Hosting.KedgeServerApp.Build(settings));

        Assert.Contains("Kedge:Server:ForwardedHeaders: '7' is not a mode; use Set", error.Message, StringComparison.Ordinal);
    }

    // Each form hides a second request where one parser would see a body and another a request. Kestrel refuses the
    // ambiguous forms with 400; where it accepts one, its reading wins (Transfer-Encoding over Content-Length, and it then
    // closes the connection, RFC 9112 §6.1) and kedge re-frames the request for the backend, so the backend never sees
    // the hidden request as a request, nor the caller's framing headers.
    [Theory]
    [InlineData("two-content-lengths", 400, "POST /s HTTP/1.1\r\nHost: {0}\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n{1}")]
    [InlineData("te-chunked-identity", 400, "POST /s HTTP/1.1\r\nHost: {0}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{1}")]
    [InlineData("obs-fold", 400, "GET /s HTTP/1.1\r\nHost: {0}\r\nX-Folded: a\r\n b\r\n\r\n{1}")]
    [InlineData("space-before-colon", 400, "GET /s HTTP/1.1\r\nHost: {0}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n{1}")]
    [InlineData("cl-and-te", 200, "POST /s HTTP/1.1\r\nHost: {0}\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{1}")]
    [InlineData("te-identity-chunked-cl", 200, "POST /s HTTP/1.1\r\nHost: {0}\r\nContent-Length: 5\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n{1}")]
    public async Task Smuggling_AmbiguousFraming_RefusedOrReframedAndHiddenRequestNeverForwarded(string form, int status, string template)
    {
        var hidden = $"GET /smuggled HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n";
        var before = _backend.RequestCount;

        var raw = await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Host, hidden)), _kedge.ClientCertificate, _kedge.Ca.Certificate);

        var response = RawHttpResponse.Parse(raw);
        Assert.True(response.Status == status, $"{form}: {raw}");
        Assert.DoesNotContain("/smuggled", raw, StringComparison.Ordinal);
        Assert.Equal(status == 200 ? 1 : 0, _backend.RequestCount - before);
        if (status == 200)
        {
            var echo = response.ExpectEcho();
            Assert.Equal("/s", echo.Path);
            Assert.Equal("", echo.Body);
            Assert.Empty(Leaked(echo, "Content-Length"));
            Assert.Equal("close", response.Headers["Connection"]);
        }
    }

    [Fact]
    public async Task Smuggling_BareLineFeeds_AcceptedAsLineEndsAndEachRequestFramedByKedge()
    {
        // RFC 9112 §2.2 lets a recipient accept a bare LF as a line end; Kestrel does. The second request is then the
        // caller's own pipelined request: kedge answers it separately and the backend sees two well-framed requests.
        var raw = await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort,
            Encoding.ASCII.GetBytes($"GET /first HTTP/1.1\nHost: {Host}\nX-A: 1\n\nGET /second HTTP/1.1\nHost: {Host}\nConnection: close\n\n"),
            _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.Equal(2, raw.Split("HTTP/1.1 200 OK").Length - 1);
        Assert.Equal("/first", RawHttpResponse.Parse(raw).ExpectEcho().Path);
        Assert.Contains("\"path\":\"/second\"", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_CallerCausedFlood_LoggedAtDebugOnlyAndCounted()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        var statuses = new List<int>();

        for (var i = 0; i < 20; i++)
        {
            foreach (var url in new[] { $"http://nobody-{i}.kedge.test/", "http://local.guarded.test/", "http://local.guarded.test:81/" })
            {
                using var response = await http.GetAsync(url);
                statuses.Add((int)response.StatusCode);
            }
        }

        Assert.Equal([502, 403, 400], statuses.Distinct());
        var loud = _kedgeLogs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"[{e.Level}] {e.Category} {e.EventId.Name}: {e.Message}").ToList();
        Assert.True(loud.Count == 0, string.Join("\n", loud.Distinct()));
        Assert.Equal(60, _kedgeLogs.WithEventName("RequestRefused").Count(e => e.Level == LogLevel.Debug));
        // The count may land just after the caller has its answer, and the exporter may answer from its short scrape
        // cache: wait for the counts rather than read them once.
        await Eventually.ValueAsync(
            async () => RefusalCounts(await admin.GetStringAsync("/metrics")),
            counts => counts == (20, 20),
            because: "kedge_proxy_errors_total did not count 20 forbidden and 20 no-route refusals");
    }

    private static (long Forbidden, long NoRoute) RefusalCounts(string metrics)
    {
        static long Sum(string metrics, string type) => metrics.Split('\n')
            .Where(l => l.StartsWith("kedge_proxy_errors_total{", StringComparison.Ordinal) && l.Contains($"type=\"{type}\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

        return (Sum(metrics, "forbidden"), Sum(metrics, "no-route"));
    }

    [Fact]
    public async Task ForwardedHeaders_MisspelledInNativeConfig_StartRefusedNamingTheSetting()
    {
        using var dir = new TempDirectory();
        var config = dir.Combine("kedge.json");
        await File.WriteAllTextAsync(config, """{"Kedge":{"Server":{"ForwardedHeaders":"Apend"},"HttpRoutes":[]}}""");
        using var error = new StringWriter();

        var code = await Kedge.Server.Hosting.KedgeProgram.RunAsync([$"--config={config}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0"], TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains("'Apend' at 'Kedge:Server:ForwardedHeaders'", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The named headers that reached the backend, with their values (empty when none did).</summary>
    private static string[] Leaked(EchoReport echo, params string[] names)
        => [.. names.Where(echo.Headers.ContainsKey).Select(name => $"{name}: {echo.Headers[name]}")];

    private async Task<RawHttpResponse> SendAsync(string head)
        => RawHttpResponse.Parse(await RawTlsClient.SendAsync(_kedge.Server.ProxyPort, head, _kedge.ClientCertificate, _kedge.Ca.Certificate));

    /// <summary>Sends <paramref name="request"/> as written (LF becomes CRLF; the caller adds <c>Connection: close</c>).</summary>
    private async Task<RawHttpResponse> SendRawAsync(string request)
        => RawHttpResponse.Parse(await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, Encoding.ASCII.GetBytes(request.Replace("\n", "\r\n", StringComparison.Ordinal)), _kedge.ClientCertificate, _kedge.Ca.Certificate));

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return Encoding.Latin1.GetString(buffer.ToArray());
    }
}
