using System.Net;
using System.Net.WebSockets;
using System.Text;
using Kedge.Common;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Winch;

/// <summary>
/// WebSockets through winch and kedge: the caller speaks HTTP/1.1 to winch (an absolute-form <c>GET http://…</c> with
/// <c>Upgrade: websocket</c>, winch's port is HTTP/1.1), winch goes on to kedge with HTTP/2 extended CONNECT (RFC 8441)
/// over its TLS connection, and kedge to the backend as the backend speaks (HTTP/1.1 Upgrade here).
/// </summary>
public sealed class WebSocketThroughWinchTests : IAsyncLifetime
{
    private const string Host = "chat.shop.svc.cluster-b.internal";
    private const string LockedHost = "locked.shop.svc.cluster-b.internal";
    private const string UnroutedHost = "nothing.shop.svc.cluster-b.internal";
    private const string NoExtendedConnectHost = "chat.shop.svc.cluster-c.internal";
    private const string Http1OnlyHost = "chat.shop.svc.cluster-d.internal";

    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly WebSocketEcho _echo = new();
    private LoopbackServer _backend = null!;
    private KedgeServerFixture _kedge = null!;
    private OldKedgeStandIn _noExtendedConnect = null!;
    private OldKedgeStandIn _http1Only = null!;
    private WinchServer _winch = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 }, _logs, app => _echo.Map(app));
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "chat", Host = Host },
                new() { Backend = "chat", Host = LockedHost, Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["someone-else"] } } },
            ],
            HttpBackends = [new() { Name = "chat", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        }, settings => settings.Auth.UnsafeBearerToken = "kedge-only"); // kedge checks the token winch injects

        _noExtendedConnect = await OldKedgeStandIn.StartAsync(_kedge.Ca, _dir, _backend.Port, "h2,http/1.1");
        _http1Only = await OldKedgeStandIn.StartAsync(_kedge.Ca, _dir, _backend.Port, "http/1.1");

        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(
            [
                "--server_http_port=0",
                "--server_grpc_port=0",
                "--server_mapper_config=" + $$$"""
                    {"routes": [
                      {"regexp": {"exp": "\\.(?P<cluster>cluster-b)\\.internal(:[0-9]+)?$", "url": "{{{_kedge.KedgeUrl}}}"}, "proxy_auth": "mesh"},
                      {"regexp": {"exp": "\\.(?P<cluster>cluster-c)\\.internal(:[0-9]+)?$", "url": "https://localhost:{{{_noExtendedConnect.Port}}}"}},
                      {"regexp": {"exp": "\\.(?P<cluster>cluster-d)\\.internal(:[0-9]+)?$", "url": "https://localhost:{{{_http1Only.Port}}}"}}
                    ]}
                    """,
                "--server_auth_config=" + """{"auth_sources": [{"name": "mesh", "token": {"token": "kedge-only"}}]}""",
                "--client_tls_cert_file=" + _kedge.ClientCertificatePath,
                "--client_tls_key_file=" + _kedge.ClientKeyPath,
                "--client_tls_root_ca_files=" + _kedge.CaFile,
            ],
            errors);
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
        await _noExtendedConnect.DisposeAsync();
        await _http1Only.DisposeAsync();
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task WebSocket_ThroughWinchAndKedge_EchoTextAndMegabyteBinary_CloseSeenByBothEnds()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var invoker = ThroughWinch();

        await socket.ConnectAsync(new Uri($"ws://{Host}/ws"), invoker, CancellationToken.None);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        // winch's token for kedge was consumed by kedge; the backend saw the caller's Host.
        var (_, report) = await WebSocketTests.ReceiveAsync(socket);
        Assert.Equal(WebSocketEcho.Report("HTTP/1.1", Host, proxyAuthorization: string.Empty), Encoding.UTF8.GetString(report));

        await socket.SendAsync("hello through winch"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var (textType, text) = await WebSocketTests.ReceiveAsync(socket);
        var megabyte = new byte[1024 * 1024];
        Random.Shared.NextBytes(megabyte);
        await socket.SendAsync(megabyte, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var (binaryType, binary) = await WebSocketTests.ReceiveAsync(socket);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "client bye", CancellationToken.None);

        Assert.Equal(WebSocketMessageType.Text, textType);
        Assert.Equal("hello through winch", Encoding.UTF8.GetString(text));
        Assert.Equal(WebSocketMessageType.Binary, binaryType);
        Assert.Equal(megabyte, binary);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(WebSocketEcho.ServerCloseDescription, socket.CloseStatusDescription);
        await Eventually.TrueAsync(() => _echo.ClosesReceived.Contains((WebSocketCloseStatus.NormalClosure, "client bye")), "the backend saw the caller's close");
        // winch → kedge was HTTP/2 extended CONNECT: kedge answered it 200 (an HTTP/1.1 upgrade would be a 101).
        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", $"route=\"{Host}\"", "backend_name=\"chat\"", "protocol=\"http\"", "code_class=\"2xx\"") == 1,
            "kedge counted the WebSocket as an HTTP/2 extended CONNECT answered 200");
    }

    [Theory]
    [InlineData(LockedHost, HttpStatusCode.Forbidden, KedgeErrorTypeNames.Forbidden)]
    [InlineData(UnroutedHost, HttpStatusCode.BadGateway, KedgeErrorTypeNames.NoRoute)]
    public async Task WebSocket_KedgeRefuses_CallerSeesKedgesStatusAndErrorType(string host, HttpStatusCode status, string errorType)
    {
        var before = _backend.RequestCount;
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var invoker = ThroughWinch();

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{host}/ws"), invoker, CancellationToken.None));

        Assert.Equal(status, socket.HttpStatusCode);
        Assert.Equal(errorType, socket.HttpResponseHeaders?[KedgeHeaders.ErrorType].Single());
        Assert.Equal(before, _backend.RequestCount);
    }

    [Theory]
    [InlineData(NoExtendedConnectHost, "KedgeWithoutExtendedConnect")]
    [InlineData(Http1OnlyHost, "KedgeWithoutHttp2")]
    public async Task WebSocket_KedgeWithoutExtendedConnectOrHttp2_SentAsHttp1UpgradeAndRemembered(string host, string eventName)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var socket = new ClientWebSocket();
            using var invoker = ThroughWinch();
            await socket.ConnectAsync(new Uri($"ws://{host}/ws"), invoker, CancellationToken.None);
            var (_, report) = await WebSocketTests.ReceiveAsync(socket);
            await socket.SendAsync("hello old kedge"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var (_, text) = await WebSocketTests.ReceiveAsync(socket);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "client bye", CancellationToken.None);

            Assert.StartsWith("protocol=HTTP/1.1 host=" + host, Encoding.UTF8.GetString(report), StringComparison.Ordinal);
            Assert.Equal("hello old kedge", Encoding.UTF8.GetString(text));
            Assert.Equal(WebSocketEcho.ServerCloseDescription, socket.CloseStatusDescription);
        }

        // The fallback is learned once per kedge: the second WebSocket went straight to HTTP/1.1.
        Assert.Single(_logs.WithEventName(eventName));
    }

    /// <summary>
    /// winch as the HTTP proxy. .NET (like browsers) opens a CONNECT tunnel for <c>ws://</c> through a proxy; the request
    /// is sent as <c>http://</c> instead so it reaches winch as the absolute-form upgrade a plain HTTP proxy client sends.
    /// </summary>
    private HttpMessageInvoker ThroughWinch()
        => new(new WebSocketAsHttp(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{_winch.HttpPort}"), UseProxy = true }));

    private sealed class WebSocketAsHttp(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = Uri.UriSchemeHttp, Port = request.RequestUri!.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
