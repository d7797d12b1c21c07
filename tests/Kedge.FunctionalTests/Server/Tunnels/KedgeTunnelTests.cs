using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server.Tunnels;

/// <summary>
/// TCP tunnels through a real kedge on loopback mTLS, with real clients: curl (HTTP/1.1 CONNECT to an https backend,
/// TLS end to end), Node's http2 (HTTP/2 CONNECT), HttpClient (extended CONNECT, <c>:protocol connect-tcp</c>), and
/// a hand-written HTTP/1.1 CONNECT; every refusal class; the tunnel metrics.
/// </summary>
public sealed class KedgeTunnelTests : IAsyncLifetime
{
    private const string Token = "tunnel-token";
    private const string EchoHost = "echo.db.cluster-b.kedge";
    private const int MiB = 1024 * 1024;

    private readonly TestLogSink _logs = new();
    private readonly TestDnsServer _dns = new();
    private readonly TcpEchoServer _echo = TcpEchoServer.Start();
    private readonly ClosedLoopbackPort _closed = new();
    private LoopbackServer _web = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        var ca = TestCertificateAuthority.Create("Tunnel backend CA");
        _web = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = ca.IssueServerCertificate("app.web.cluster-b.kedge") }, _logs);
        _webCa = ca;
        _dns.Addresses["echo.pods.cluster-b.kedge"] = [IPAddress.Loopback];
        _dns.Addresses["local.guarded.cluster-b.kedge"] = [IPAddress.Loopback];
        var routing = new KedgeServerOptions
        {
            HttpBackends =
            [
                new() { Name = "echo_tcp", Static = new() { Addresses = [$"127.0.0.1:{_echo.Port}"] } },
                new() { Name = "web_tls", Static = new() { Addresses = [$"127.0.0.1:{_web.Port}"] } },
                new() { Name = "dead", Static = new() { Addresses = [$"127.0.0.1:{_closed.Port}"] } },
            ],
            TunnelRoutes =
            [
                new() { Name = "echo", Host = EchoHost, Ports = [5432], Backend = "echo_tcp" },
                new() { Name = "web", Host = "*.web.cluster-b.kedge", Ports = [443], Backend = "web_tls" },
                new() { Name = "guarded", Host = "guarded.db.cluster-b.kedge", Ports = [5432], Backend = "echo_tcp", Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["payments-*"] } } },
                new() { Name = "dead", Host = "dead.db.cluster-b.kedge", Ports = [5432], Backend = "dead" },
            ],
            HttpAdhocRules =
            [
                new() { DnsNameMatcher = "*.pods.cluster-b.kedge", Port = new() { Allowed = [_echo.Port] }, AllowedReservedNetworks = ["127.0.0.0/8"] },
                new() { DnsNameMatcher = "*.guarded.cluster-b.kedge", Port = new() { Allowed = [_echo.Port] } },
            ],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings =>
        {
            settings.DnsServers = [_dns.EndPoint.ToString()];
            settings.GrpcTlsPort = KedgeServerSettings.AnyFreePort;
            settings.Auth = new KedgeAuthSettings { UnsafeBearerToken = Token };
            settings.AccessLog = true;
        });
    }

    private TestCertificateAuthority _webCa = null!;

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _web.DisposeAsync();
        await _echo.DisposeAsync();
        await _dns.DisposeAsync();
        _closed.Dispose();
        _webCa.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Curl_Http11ConnectToHttpsBackend_TlsEndToEnd()
    {
        var webCa = _webCa.WriteCaPem(_kedge.Dir.Path, "web-ca.crt");

        var (code, stdout, stderr) = await ProcessRun.RunAsync("curl", [
            "--silent", "--show-error", "--max-time", "30",
            "--proxy", $"https://127.0.0.1:{_kedge.Server.ProxyPort}",
            "--proxy-cacert", _kedge.CaFile, "--proxy-cert", _kedge.ClientCertificatePath, "--proxy-key", _kedge.ClientKeyPath,
            "--proxy-header", $"Proxy-Authorization: Bearer {Token}",
            "--cacert", webCa,
            "https://app.web.cluster-b.kedge/echo/through-the-tunnel"], TimeSpan.FromSeconds(60));

        Assert.True(code == 0, $"curl failed ({code}): {stderr}");
        var echo = JsonSerializer.Deserialize<EchoReport>(stdout, LoopbackServer.JsonOptions)!;
        Assert.Equal("/echo/through-the-tunnel", echo.Path);
        // The backend saw curl's own request inside the tunnel: kedge's credential stayed with kedge.
        Assert.DoesNotContain(echo.Headers, h => h.Key.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Http11Connect_OneMiBEachWay_EchoedAndProxyAuthorizationNeverReachesBackend()
    {
        await using var ssl = await RawTlsClient.ConnectAsync(_kedge.Server.ProxyPort, _kedge.ClientCertificate, _kedge.Ca.Certificate, SslApplicationProtocol.Http11);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nHost: {EchoHost}:5432\r\nProxy-Authorization: Bearer {Token}\r\n\r\n"));

        var head = await ReadHeadAsync(ssl);
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", head);

        var received = await ExchangeAsync(ssl, MiB);
        Assert.Equal(MiB, received);
        var reached = Assert.Single(_echo.Received);
        Assert.DoesNotContain(Token, Encoding.Latin1.GetString(reached), StringComparison.Ordinal);
        Assert.All(reached, b => Assert.Equal((byte)'k', b));
    }

    [Fact]
    public async Task NodeHttp2Connect_OneMiBEachWay_Echoed()
    {
        var result = await NodeConnectAsync($"{EchoHost}:5432", $"Bearer {Token}", MiB);

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(MiB, result.GetProperty("received").GetInt32());
        Assert.Equal(1, _echo.ConnectionCount);
    }

    [Fact]
    public async Task HttpClientExtendedConnectTcp_OneMiBEachWay_Echoed()
    {
        using var http = new HttpClient(Handler());
        using var response = await ExtendedConnectAsync(http, $"{EchoHost}:5432", _kedge.Server.ProxyPort);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var tunnel = await response.Content.ReadAsStreamAsync();
        Assert.Equal(MiB, await ExchangeAsync(tunnel, MiB));
    }

    [Fact]
    public async Task Adhoc_Http11ConnectToAllowedName_Echoed()
    {
        var response = await Http11ConnectAsync($"echo.pods.cluster-b.kedge:{_echo.Port}", withToken: true, payload: "adhoc bytes");

        Assert.StartsWith("HTTP/1.1 200 Connection established\r\n\r\nadhoc bytes", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TunnelClosed_MetricsCountOpenedBytesDurationAndReason()
    {
        await using (var ssl = await RawTlsClient.ConnectAsync(_kedge.Server.ProxyPort, _kedge.ClientCertificate, _kedge.Ca.Certificate, SslApplicationProtocol.Http11))
        {
            await ssl.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nProxy-Authorization: Bearer {Token}\r\n\r\n"));
            await ReadHeadAsync(ssl);
            Assert.Equal(1000, await ExchangeAsync(ssl, 1000));
        }

        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        var metrics = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            text => text.Contains("kedge_tunnels_closed_total{route=\"echo\",backend_name=\"echo_tcp\",reason=\"client_closed\"} 1", StringComparison.Ordinal));
        Assert.Contains("kedge_tunnels_opened_total{route=\"echo\",backend_name=\"echo_tcp\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("kedge_tunnels_active{route=\"echo\",backend_name=\"echo_tcp\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("kedge_tunnel_bytes_total{route=\"echo\",backend_name=\"echo_tcp\",direction=\"upstream\"} 1000", metrics, StringComparison.Ordinal);
        Assert.Contains("kedge_tunnel_bytes_total{route=\"echo\",backend_name=\"echo_tcp\",direction=\"downstream\"} 1000", metrics, StringComparison.Ordinal);
        Assert.Contains("kedge_tunnel_duration_seconds_count{route=\"echo\",backend_name=\"echo_tcp\"} 1", metrics, StringComparison.Ordinal);
        foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("kedge_tunnel", StringComparison.Ordinal)))
        {
            var name = line[..line.IndexOf('{', StringComparison.Ordinal)];
            var labels = System.Text.RegularExpressions.Regex.Matches(line, "([a-z_]+)=\"").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            Assert.True(KedgeMetricContract.Series[name].SetEquals(labels), $"{line} differs from the metric contract");
        }

        // The HTTP/1.1 form is counted as a request like the HTTP/2 ones.
        Assert.Contains("kedge_requests_total{route=\"echo\",backend_name=\"echo_tcp\",protocol=\"http\",code_class=\"2xx\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_Http11AndHttp2Tunnels_SameLine()
    {
        Assert.StartsWith("HTTP/1.1 200", await Http11ConnectAsync($"{EchoHost}:5432", withToken: true, payload: "h1"), StringComparison.Ordinal);
        Assert.Equal(200, (await NodeConnectAsync($"{EchoHost}:5432", $"Bearer {Token}", 10)).GetProperty("status").GetInt32());

        var lines = await Eventually.ValueAsync(
            () => Task.FromResult(_logs.WithEventName("AccessLog").Select(e => e.Message).ToList()),
            l => l.Count(m => m.StartsWith("CONNECT ", StringComparison.Ordinal)) == 2);
        Assert.All(lines.Where(m => m.StartsWith("CONNECT ", StringComparison.Ordinal)), line =>
        {
            Assert.StartsWith($"CONNECT {EchoHost}:5432 http status=200 grpc_status=- route=echo backend=echo_tcp endpoint=127.0.0.1:{_echo.Port} error=- ", line, StringComparison.Ordinal);
            Assert.Contains(" caller=\"CN=caller", line, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task RefusedTunnel_AccessLogLineCarriesErrorType()
    {
        AssertRefused(await Http11ConnectAsync("unrouted.db.cluster-b.kedge:5432", withToken: true), 502, "no-route");

        var line = await Eventually.ValueAsync(
            () => Task.FromResult(_logs.WithEventName("AccessLog").Select(e => e.Message).FirstOrDefault(m => m.StartsWith("CONNECT ", StringComparison.Ordinal))),
            l => l is not null);
        Assert.StartsWith("CONNECT unrouted.db.cluster-b.kedge:5432 http status=502 grpc_status=- route=- backend=- endpoint=- error=no-route ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KedgeStops_OpenTunnelEndsWithShutdownReason()
    {
        await using var ssl = await RawTlsClient.ConnectAsync(_kedge.Server.ProxyPort, _kedge.ClientCertificate, _kedge.Ca.Certificate, SslApplicationProtocol.Http11);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nProxy-Authorization: Bearer {Token}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", await ReadHeadAsync(ssl), StringComparison.Ordinal);
        await ssl.WriteAsync("open"u8.ToArray());
        var echoed = new byte[4];
        await ssl.ReadExactlyAsync(echoed);

        var stopping = _kedge.Server.App.StopAsync();

        // The caller sees its tunnel end (end of stream or a reset), without waiting for the shutdown timeout.
        var ended = await Task.Run(async () =>
        {
            try
            {
                return await ssl.ReadAsync(new byte[16]);
            }
            catch (IOException)
            {
                return 0;
            }
        }).WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal(0, ended);
        await stopping.WaitAsync(Eventually.DefaultTimeout);
        await Eventually.TrueAsync(() => _logs.WithEventName("TunnelClosed").Any(e => e.Message.Contains(": shutdown after", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BackendRefusesConnections_502NoConnectionAndConnectFailedCounted()
    {
        var response = await Http11ConnectAsync("dead.db.cluster-b.kedge:5432", withToken: true);

        AssertRefused(response, 502, "no-connection-to-all-resolved-addresses");
        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        await Eventually.TrueAsync(async () => (await admin.GetStringAsync("/metrics")).Contains("kedge_tunnels_closed_total{route=\"dead\",backend_name=\"dead\",reason=\"connect_failed\"} 1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:5432", 403, "forbidden")]
    [InlineData("[::1]:5432", 403, "forbidden")]
    [InlineData("unrouted.db.cluster-b.kedge:5432", 502, "no-route")]
    [InlineData(EchoHost + ":5433", 400, "unknown-route-error")]
    [InlineData(EchoHost, 400, "unknown-route-error")]
    [InlineData(EchoHost + ":99999", 400, "unknown-route-error")]
    [InlineData("guarded.db.cluster-b.kedge:5432", 403, "forbidden")]
    public async Task Http11Connect_RefusedDestination_AnsweredWithKedgeErrorAndClosed(string target, int status, string type)
    {
        var response = await Http11ConnectAsync(target, withToken: true);

        AssertRefused(response, status, type);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task Http11Connect_AdhocNameResolvingToReservedAddress_Refused403()
    {
        var response = await Http11ConnectAsync($"local.guarded.cluster-b.kedge:{_echo.Port}", withToken: true);

        AssertRefused(response, 403, "forbidden");
        Assert.Contains("resolves only to addresses kedge refuses", response, StringComparison.Ordinal);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task Http11Connect_NoProxyAuthorization_Refused401()
    {
        var response = await Http11ConnectAsync($"{EchoHost}:5432", withToken: false);

        AssertRefused(response, 401, "unauthorized");
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task Http11Connect_MalformedHead_Refused400()
    {
        var response = await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), _kedge.ClientCertificate, _kedge.Ca.Certificate);

        AssertRefused(response, 400, "malformed-request");
    }

    [Fact]
    public async Task Http11Connect_AfterAnotherRequestOnTheConnection_Refused405()
    {
        var response = await RawTlsClient.SendBytesAsync(_kedge.Server.ProxyPort, Encoding.ASCII.GetBytes(
            $"GET / HTTP/1.1\r\nHost: unrouted.example.com\r\nProxy-Authorization: Bearer {Token}\r\n\r\nCONNECT {EchoHost}:5432 HTTP/1.1\r\nHost: {EchoHost}:5432\r\nProxy-Authorization: Bearer {Token}\r\n\r\n"), _kedge.ClientCertificate, _kedge.Ca.Certificate);

        Assert.True(response.Contains("X-Kedge-Error-Type: method-not-allowed\r\n", StringComparison.OrdinalIgnoreCase), response);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Theory]
    [InlineData("127.0.0.1:5432", 403, "forbidden")]
    [InlineData("unrouted.db.cluster-b.kedge:5432", 502, "no-route")]
    [InlineData(EchoHost + ":5433", 400, "unknown-route-error")]
    [InlineData("guarded.db.cluster-b.kedge:5432", 403, "forbidden")]
    public async Task NodeHttp2Connect_RefusedDestination_AnsweredWithKedgeError(string target, int status, string type)
    {
        var result = await NodeConnectAsync(target, $"Bearer {Token}", 10);

        Assert.Equal(status, result.GetProperty("status").GetInt32());
        Assert.Equal(type, result.GetProperty("errorType").GetString());
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task NodeHttp2Connect_NoProxyAuthorization_Refused401()
    {
        var result = await NodeConnectAsync($"{EchoHost}:5432", "-", 10);

        Assert.Equal(401, result.GetProperty("status").GetInt32());
        Assert.Equal("unauthorized", result.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task ExtendedConnect_OnGrpcPort_Refused405()
    {
        using var http = new HttpClient(Handler());
        using var response = await ExtendedConnectAsync(http, $"{EchoHost}:5432", _kedge.Server.GrpcPort);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("method-not-allowed", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task ExtendedConnect_OtherProtocol_Refused400()
    {
        using var http = new HttpClient(Handler());
        using var response = await ExtendedConnectAsync(http, $"{EchoHost}:5432", _kedge.Server.ProxyPort, protocol: "connect-udp");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unknown-route-error", response.Headers.GetValues("X-Kedge-Error-Type").Single());
    }

    [Fact]
    public async Task Http11Connect_OnAdminPort_Refused405()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _kedge.Server.AdminPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nHost: {EchoHost}:5432\r\n\r\n"));

        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 405", head, StringComparison.Ordinal);
        Assert.Contains("X-Kedge-Error-Type: method-not-allowed\r\n", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    private static void AssertRefused(string response, int status, string type)
    {
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        Assert.Contains($"X-Kedge-Error-Type: {type}\r\n", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close\r\n", response, StringComparison.Ordinal);
    }

    private async Task<string> Http11ConnectAsync(string target, bool withToken, string? payload = null)
    {
        await using var ssl = await RawTlsClient.ConnectAsync(_kedge.Server.ProxyPort, _kedge.ClientCertificate, _kedge.Ca.Certificate, SslApplicationProtocol.Http11);
        var auth = withToken ? $"Proxy-Authorization: Bearer {Token}\r\n" : string.Empty;
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n"));
        if (payload is null)
        {
            using var reader = new StreamReader(ssl, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        }

        var head = await ReadHeadAsync(ssl);
        if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            return head;
        }

        await ssl.WriteAsync(Encoding.ASCII.GetBytes(payload));
        var buffer = new byte[payload.Length];
        await ssl.ReadExactlyAsync(buffer);
        return head + Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Reads up to the blank line that ends a response head, byte by byte (the tunnel's bytes follow it).</summary>
    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Writes <paramref name="size"/> bytes while reading the echo, then half-closes where possible; returns the bytes read.</summary>
    private static async Task<int> ExchangeAsync(Stream tunnel, int size)
    {
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            var total = 0;
            while (total < size)
            {
                var read = await tunnel.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        });
        var chunk = Enumerable.Repeat((byte)'k', 16 * 1024).ToArray();
        for (var sent = 0; sent < size; sent += chunk.Length)
        {
            await tunnel.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, size - sent)));
        }

        await tunnel.FlushAsync();
        return await reading.WaitAsync(Eventually.DefaultTimeout);
    }

    private async Task<JsonElement> NodeConnectAsync(string authority, string proxyAuthorization, int size)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Server", "Tunnels", "connect-h2.js");
        var (code, stdout, stderr) = await ProcessRun.RunAsync("node", [script, _kedge.Server.ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture), authority, _kedge.CaFile, _kedge.ClientCertificatePath, _kedge.ClientKeyPath, proxyAuthorization, size.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"node failed ({code}): {stdout} {stderr}");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> ExtendedConnectAsync(HttpClient http, string authority, int port, string protocol = "connect-tcp")
    {
        using var request = new HttpRequestMessage(HttpMethod.Connect, $"https://localhost:{port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Protocol = protocol;
        request.Headers.Host = authority;
        request.Headers.ProxyAuthorization = new AuthenticationHeaderValue("Bearer", Token);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private SocketsHttpHandler Handler()
    {
        var ca = _kedge.Ca.Certificate;
        return new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { _kedge.ClientCertificate },
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return certificate is X509Certificate2 presented && chain.Build(presented);
                },
            },
        };
    }
}
