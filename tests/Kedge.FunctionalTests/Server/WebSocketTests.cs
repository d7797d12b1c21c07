using System.Net;
using System.Net.WebSockets;
using System.Text;
using Kedge.Client;
using Kedge.Common;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// WebSockets through kedge with .NET's <see cref="ClientWebSocket"/>: HTTP/1.1 Upgrade and HTTP/2 extended CONNECT
/// (RFC 8441) from the caller, to a plain HTTP/1.1 backend and to an HTTP/2 TLS backend; the route's authorization,
/// kedge's credentials kept from the backend, the request counted, and the refusals.
/// </summary>
public sealed class WebSocketTests : IAsyncLifetime
{
    private const string Http1Host = "ws.plain.test";
    private const string Http2Host = "ws.tls.test";
    private const string LockedHost = "ws.locked.test";
    private const string UnroutedHost = "ws.nowhere.test";

    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _backendCa = TestCertificateAuthority.Create("Backend CA");
    private readonly WebSocketEcho _plainEcho = new();
    private readonly WebSocketEcho _tlsEcho = new();
    private LoopbackServer _plainBackend = null!;
    private LoopbackServer _tlsBackend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _plainBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 }, _logs, app => _plainEcho.Map(app));
        _tlsBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = _backendCa.IssueServerCertificate("backend.test") }, _logs, app => _tlsEcho.Map(app));
        var backendCaFile = _backendCa.WriteCaPem(_dir.Path, "backend-ca.crt");
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "plain", Host = Http1Host },
                new() { Backend = "tls", Host = Http2Host },
                new() { Backend = "plain", Host = LockedHost, Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["someone-else"] } } },
            ],
            HttpBackends =
            [
                new() { Name = "plain", Static = new() { Addresses = [$"127.0.0.1:{_plainBackend.Port}"] } },
                new() { Name = "tls", Tls = new() { CaFile = backendCaFile, ServerName = "backend.test" }, Static = new() { Addresses = [$"127.0.0.1:{_tlsBackend.Port}"] } },
            ],
        }, settings => settings.GrpcTlsPort = KedgeServerSettings.AnyFreePort);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _plainBackend.DisposeAsync();
        await _tlsBackend.DisposeAsync();
        _backendCa.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    public static TheoryData<string, string, string> Legs => new()
    {
        // caller → kedge, host (backend), what the backend sees
        { "1.1", Http1Host, "HTTP/1.1" },
        { "2.0", Http1Host, "HTTP/1.1" },
        { "1.1", Http2Host, "HTTP/2" },
        { "2.0", Http2Host, "HTTP/2" },
    };

    [Theory]
    [MemberData(nameof(Legs))]
    public async Task WebSocket_EchoTextAndMegabyteBinary_CloseSeenByBothEnds(string callerVersion, string host, string backendProtocol)
    {
        using var socket = CreateSocket(callerVersion, host, proxyAuthorization: "Bearer for-kedge-only");
        using var invoker = new HttpMessageInvoker(KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate));

        await socket.ConnectAsync(new Uri($"wss://localhost:{_kedge.Server.ProxyPort}/ws"), invoker, CancellationToken.None);

        Assert.Equal(callerVersion == "2.0" ? HttpStatusCode.OK : HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        Assert.Equal(host == Http1Host ? "plain" : "tls", socket.HttpResponseHeaders?["x-kedge-backend-name"].Single());
        // What the backend saw: its own protocol version, the caller's Host, and no Proxy-Authorization (kedge's).
        var (type, report) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(WebSocketEcho.Report(backendProtocol, host, proxyAuthorization: string.Empty), Encoding.UTF8.GetString(report));

        await socket.SendAsync("hello through kedge"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var (textType, text) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, textType);
        Assert.Equal("hello through kedge", Encoding.UTF8.GetString(text));

        var megabyte = new byte[1024 * 1024];
        Random.Shared.NextBytes(megabyte);
        await socket.SendAsync(megabyte, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var (binaryType, binary) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, binaryType);
        Assert.Equal(megabyte, binary);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "client bye", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(WebSocketEcho.ServerCloseDescription, socket.CloseStatusDescription);
        var echo = host == Http1Host ? _plainEcho : _tlsEcho;
        await Eventually.TrueAsync(() => echo.ClosesReceived.Contains((WebSocketCloseStatus.NormalClosure, "client bye")), "the backend saw the caller's close");
    }

    [Theory]
    [InlineData("1.1", "101")]
    [InlineData("2.0", "200")]
    public async Task WebSocket_Finished_CountedOnItsRoute(string callerVersion, string status)
    {
        using var socket = CreateSocket(callerVersion, Http2Host);
        using var invoker = new HttpMessageInvoker(KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate));
        await socket.ConnectAsync(new Uri($"wss://localhost:{_kedge.Server.ProxyPort}/ws"), invoker, CancellationToken.None);
        await ReceiveAsync(socket);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        // Counted once the upgraded stream ends, with the status kedge answered (101 over HTTP/1.1, 200 over HTTP/2).
        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", $"route=\"{Http2Host}\"", "backend_name=\"tls\"", "protocol=\"http\"", $"code_class=\"{status[0]}xx\"") == 1,
            $"the WebSocket is counted on its route with status {status}");
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task WebSocket_ForbiddenIdentity_RefusedWith403AndNeverReachesBackend(string callerVersion)
    {
        var before = _plainBackend.RequestCount;
        using var socket = CreateSocket(callerVersion, LockedHost);
        using var invoker = new HttpMessageInvoker(KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate));

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"wss://localhost:{_kedge.Server.ProxyPort}/ws"), invoker, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        Assert.Equal(KedgeErrorTypes.Forbidden, socket.HttpResponseHeaders?[KedgeHeaders.ErrorType].Single());
        Assert.Equal(before, _plainBackend.RequestCount);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task WebSocket_UnroutedHost_RefusedAsNoRoute(string callerVersion)
    {
        using var socket = CreateSocket(callerVersion, UnroutedHost);
        using var invoker = new HttpMessageInvoker(KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate));

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"wss://localhost:{_kedge.Server.ProxyPort}/ws"), invoker, CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadGateway, socket.HttpStatusCode);
        Assert.Equal(KedgeErrorTypes.NoRoute, socket.HttpResponseHeaders?[KedgeHeaders.ErrorType].Single());
    }

    [Fact]
    public async Task WebSocket_OnGrpcOnlyPort_RefusedWith415AndNeverReachesBackend()
    {
        var before = _plainBackend.RequestCount;
        using var socket = CreateSocket("2.0", Http1Host);
        using var invoker = new HttpMessageInvoker(KedgeTestHttp.CreateHandler(_kedge, _kedge.ClientCertificate));

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"wss://localhost:{_kedge.Server.GrpcPort}/ws"), invoker, CancellationToken.None));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, socket.HttpStatusCode);
        Assert.Equal(KedgeErrorTypes.UnsupportedMediaType, socket.HttpResponseHeaders?[KedgeHeaders.ErrorType].Single());
        Assert.Equal(before, _plainBackend.RequestCount);
    }

    private static ClientWebSocket CreateSocket(string version, string host, string? proxyAuthorization = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = Version.Parse(version);
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        // kedge routes by Host (:authority over HTTP/2); the connection itself goes to kedge's loopback port.
        socket.Options.SetRequestHeader("Host", host);
        if (proxyAuthorization is not null)
        {
            socket.Options.SetRequestHeader("Proxy-Authorization", proxyAuthorization);
        }

        return socket;
    }

    internal static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return (received.MessageType, message.ToArray());
            }
        }
    }
}
