using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Client.Tunnels;
using Kedge.Common;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Forward;
using Kedge.Winch.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Winch;

/// <summary>
/// Tunnels end to end on loopback: curl with winch as its HTTPS proxy, raw CONNECTs to winch, <c>winch forward</c>
/// listeners, and Kedge.Client's tunnel API, all through a real kedge (mTLS, tunnel routes, the token winch sends) to a
/// TCP echo server and an https backend (TLS end to end inside the tunnel).
/// </summary>
public sealed class TunnelThroughKedgeTests : IAsyncLifetime
{
    private const string Token = "tunnel-token";
    private const string EchoHost = "echo.db.cluster-b.kedge";
    private const string CacheHost = "cache.db.cluster-b.kedge";
    private const string GuardedHost = "guarded.db.cluster-b.kedge";
    private const int MiB = 1024 * 1024;

    private readonly TestLogSink _logs = new();
    private readonly TcpEchoServer _echo = TcpEchoServer.Start();
    private readonly TestCertificateAuthority _webCa = TestCertificateAuthority.Create("Tunnel backend CA");
    private LoopbackServer _web = null!;
    private KedgeServerFixture _kedge = null!;
    private WinchServer _winch = null!;

    public async Task InitializeAsync()
    {
        _web = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = _webCa.IssueServerCertificate("app.web.cluster-b.kedge") }, _logs);
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpBackends =
            [
                new() { Name = "echo_tcp", Static = new() { Addresses = [$"127.0.0.1:{_echo.Port}"] } },
                new() { Name = "web_tls", Static = new() { Addresses = [$"127.0.0.1:{_web.Port}"] } },
            ],
            TunnelRoutes =
            [
                new() { Name = "echo", Host = EchoHost, Ports = [5432], Backend = "echo_tcp" },
                new() { Name = "cache", Host = CacheHost, Ports = [6379], Backend = "echo_tcp" },
                new() { Name = "web", Host = "*.web.cluster-b.kedge", Ports = [443], Backend = "web_tls" },
                new() { Name = "guarded", Host = GuardedHost, Ports = [5432], Backend = "echo_tcp", Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["payments-*"] } } },
            ],
        }, settings => settings.Auth = new KedgeAuthSettings { UnsafeBearerToken = Token });

        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings([.. WinchArgs(), "--server_http_port=0", "--server_grpc_port=0"], errors);
        Assert.Empty(errors);
        _winch = WinchServer.Build(settings!, errors, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_logs);
        })!;
        Assert.Empty(errors);
        await _winch.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _winch.DisposeAsync();
        await _kedge.DisposeAsync();
        await _web.DisposeAsync();
        await _echo.DisposeAsync();
        _webCa.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Curl_WinchAsHttpsProxy_HttpsBackendTlsEndToEnd()
    {
        var webCa = _webCa.WriteCaPem(_kedge.Dir.Path, "web-ca.crt");

        var (code, stdout, stderr) = await ProcessRun.RunAsync("curl", [
            "--silent", "--show-error", "--max-time", "30",
            "--proxy", $"http://127.0.0.1:{_winch.HttpPort}",
            "--proxy-header", "Proxy-Authorization: Bearer callers-own-secret",
            "--cacert", webCa,
            "https://app.web.cluster-b.kedge/echo/through-winch"], TimeSpan.FromSeconds(60));

        Assert.True(code == 0, $"curl failed ({code}): {stderr}");
        var echo = JsonSerializer.Deserialize<EchoReport>(stdout, LoopbackServer.JsonOptions)!;
        Assert.Equal("/echo/through-winch", echo.Path);
        Assert.Equal("app.web.cluster-b.kedge", echo.Sni);
        Assert.DoesNotContain(echo.Headers, h => h.Key.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Connect_OneMiBEachWay_EchoedAndNoCredentialReachesTheDestination()
    {
        using var socket = await ConnectToWinchAsync();
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {EchoHost}:5432 HTTP/1.1\r\nHost: {EchoHost}:5432\r\nProxy-Authorization: Bearer callers-own-secret\r\n\r\n"));

        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", await ReadHeadAsync(stream));
        Assert.Equal(MiB, await ExchangeAsync(stream, MiB));
        var reached = Assert.Single(_echo.Received);
        Assert.All(reached, b => Assert.Equal((byte)'k', b));
    }

    [Theory]
    [InlineData("www.example.com:443", "403", "X-Winch-Error-Type: not-kedge-destination")]
    [InlineData("10.0.0.7:443", "403", "X-Winch-Error-Type: mapping-error")]
    [InlineData("[::1]:443", "403", "X-Winch-Error-Type: mapping-error")]
    [InlineData("echo.db.cluster-b.kedge", "400", "X-Winch-Error-Type: not-supported")]
    [InlineData(GuardedHost + ":5432", "403", "X-Kedge-Error-Type: forbidden")]
    [InlineData("unrouted.db.cluster-b.kedge:5432", "502", "X-Kedge-Error-Type: no-route")]
    public async Task Connect_RefusedDestination_AnsweredWithErrorTypeAndClosed(string target, string status, string errorTypeLine)
    {
        using var socket = await ConnectToWinchAsync();
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"));

        var head = await ReadHeadAsync(stream);

        Assert.StartsWith($"HTTP/1.1 {status} ", head, StringComparison.Ordinal);
        Assert.Contains(errorTypeLine + "\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", head, StringComparison.Ordinal);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task Forward_TwoForwardsAtOnce_OneMiBEachWayOnBoth()
    {
        await using var forward = await StartForwardAsync($"{EchoHost}:5432", $"{CacheHost}:6379");
        Assert.Equal(2, forward.Forwards.Count);

        var exchanges = forward.Forwards.Select(async f =>
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, f.Port);
            return await ExchangeAsync(socket.GetStream(), MiB);
        }).ToList();

        var received = await Task.WhenAll(exchanges);
        Assert.Equal(new[] { MiB, MiB }, received);
        Assert.Equal(2, _echo.ConnectionCount);
        Assert.Equal(2L * MiB, _echo.BytesEchoed);
    }

    [Fact]
    public async Task Forward_KedgeRefuses_ConnectionClosedAndRefusalLogged()
    {
        await using var forward = await StartForwardAsync($"{GuardedHost}:5432");
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, forward.Forwards[0].Port);

        var read = await socket.GetStream().ReadAsync(new byte[16]);

        Assert.Equal(0, read);
        var refusal = await Eventually.ValueAsync(
            () => Task.FromResult(_logs.WithEventName("TunnelRefused").FirstOrDefault()),
            entry => entry is not null,
            "winch forward logs the refusal");
        Assert.Equal(LogLevel.Debug, refusal!.Level);
        Assert.Contains("forbidden", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    [Fact]
    public async Task KedgeClient_OpenTunnelAsync_OneMiBEachWayThroughKedge()
    {
        using var client = CreateClient();

        await using var tunnel = await client.OpenTunnelAsync(EchoHost, 5432);

        Assert.Equal(MiB, await ExchangeAsync(tunnel, MiB));
        Assert.Equal(1, _echo.ConnectionCount);
    }

    [Fact]
    public async Task KedgeClient_TunnelConnectCallback_HttpClientToHttpsBackend()
    {
        using var client = CreateClient();
        using var handler = new SocketsHttpHandler { ConnectCallback = client.TunnelConnectCallback };
        handler.SslOptions.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { _webCa.Certificate },
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        using var http = new HttpClient(handler);

        var echo = JsonSerializer.Deserialize<EchoReport>(await http.GetStringAsync("https://app.web.cluster-b.kedge/v1/orders"), LoopbackServer.JsonOptions)!;

        Assert.Equal("/v1/orders", echo.Path);
        Assert.Equal("app.web.cluster-b.kedge", echo.Sni);
        Assert.DoesNotContain(echo.Headers, h => h.Key.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task KedgeClient_KedgeRefuses_ExceptionCarriesKedgeErrorKind()
    {
        using var client = CreateClient();

        var refusal = await Assert.ThrowsAsync<KedgeTunnelException>(() => client.OpenTunnelAsync(GuardedHost, 5432));

        Assert.Same(KedgeErrorKind.Forbidden, refusal.ErrorKind);
        Assert.Equal(HttpStatusCode.Forbidden, refusal.StatusCode);
        Assert.Equal(0, _echo.ConnectionCount);
    }

    private Kedge.Client.KedgeClient CreateClient()
        => _kedge.CreateClient(_logs, options => options.Mapper = KedgeMapper.Regex(
            @"\.cluster-b\.kedge(:[0-9]+)?$",
            _kedge.KedgeUrl.ToString().TrimEnd('/'),
            proxyAuth: KedgeTokenSource.FromValue("mesh", Token)));

    private string[] WinchArgs() =>
    [
        "--server_mapper_config=" + $$"""{"routes": [{"regexp": {"exp": "\\.cluster-b\\.kedge(:[0-9]+)?$", "url": "{{_kedge.KedgeUrl.ToString().TrimEnd('/')}}"}, "proxy_auth": "mesh"}]}""",
        "--server_auth_config=" + $$$"""{"auth_sources": [{"name": "mesh", "token": {"token": "{{{Token}}}"}}]}""",
        "--client_tls_cert_file=" + _kedge.ClientCertificatePath,
        "--client_tls_key_file=" + _kedge.ClientKeyPath,
        "--client_tls_root_ca_files=" + _kedge.CaFile,
    ];

    private async Task<ForwardRun> StartForwardAsync(params string[] targets)
    {
        var started = new TaskCompletionSource<WinchForwardServer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = new CancellationTokenSource();
        using var error = new StringWriter();
        var args = targets.SelectMany(t => new[] { "--listen", "127.0.0.1:0", t }).Concat(WinchArgs()).ToList();
        var run = WinchForwardCommand.RunAsync(args, error, started.SetResult, stop.Token, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        });
        var first = await Task.WhenAny(started.Task, run);
        Assert.True(first == started.Task, $"winch forward did not start: {error}");
        return new ForwardRun(await started.Task, run, stop);
    }

    private async Task<TcpClient> ConnectToWinchAsync()
    {
        var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, _winch.HttpPort);
        return socket;
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
        {
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Writes <paramref name="size"/> bytes while reading the echo; returns the bytes read back.</summary>
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

    private sealed class ForwardRun(WinchForwardServer server, Task<int> run, CancellationTokenSource stop) : IAsyncDisposable
    {
        public IReadOnlyList<(WinchForwardSpec Spec, int Port)> Forwards => server.Forwards;

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
            stop.Dispose();
        }
    }
}
