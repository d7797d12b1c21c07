using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Winch.Commands;
using Kedge.Winch.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Winch;

/// <summary>winch in front of a real kedge (mTLS) in front of backends: the whole developer path on loopback.</summary>
public sealed class WinchThroughKedgeServerTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;
    private KedgeServerFixture _kedge = null!;
    private WinchServer _winch = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
        _kedge = await KedgeServerFixture.StartAsync(_logs, new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.internal" }],
            GrpcRoutes = [new() { Backend = "greeter", AuthorityHost = "greeter.shop.svc.cluster-b.internal" }],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        }, settings => settings.Auth.UnsafeBearerToken = "kedge-only"); // kedge checks the token winch injects

        _winch = await StartWinchAsync();
    }

    private async Task<WinchServer> StartWinchAsync(params string[] extraArgs)
    {
        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(
            [
                "--server_http_port=0",
                "--server_grpc_port=0",
                "--server_mapper_config=" + $$"""{"routes": [{"regexp": {"exp": "\\.(?P<cluster>cluster-b)\\.internal(:[0-9]+)?$", "url": "{{_kedge.KedgeUrl}}"}, "proxy_auth": "mesh", "backend_auth": "app"}]}""",
                "--server_auth_config=" + """{"auth_sources": [{"name": "mesh", "token": {"token": "kedge-only"}}, {"name": "app", "token": {"token": "for-the-backend"}}]}""",
                "--client_tls_cert_file=" + _kedge.ClientCertificatePath,
                "--client_tls_key_file=" + _kedge.ClientKeyPath,
                "--client_tls_root_ca_files=" + _kedge.CaFile,
                .. extraArgs,
            ],
            errors);
        Assert.Empty(errors);
        var winch = WinchServer.Build(settings!, errors, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_logs);
        })!;
        Assert.Empty(errors);
        await winch.StartAsync();
        return winch;
    }

    public async Task DisposeAsync()
    {
        await _winch.DisposeAsync();
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Http_WinchAsProxy_BackendSeesOriginalHostBackendTokenAndRequestId()
    {
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{_winch.HttpPort}"), UseProxy = true });

        using var response = await client.GetAsync("http://orders.shop.svc.cluster-b.internal/v1/orders?id=7");
        var echo = (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("orders.shop.svc.cluster-b.internal", echo.Host);
        Assert.Equal("/v1/orders", echo.Path);
        Assert.Equal("Bearer for-the-backend", Header(echo, "Authorization"));
        Assert.Null(Header(echo, "Proxy-Authorization"));
        Assert.StartsWith("winch-", Header(echo, "X-Kedge-Request-ID"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_WinchDebugMode_KedgeLogsTheRequestWithWinchsInfoLogsValue()
    {
        await using var debugWinch = await StartWinchAsync("--debug_mode");
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{debugWinch.HttpPort}"), UseProxy = true });
        var expected = "force-info-log-header=winch-" + Environment.UserName;

        using var response = await client.GetAsync("http://orders.shop.svc.cluster-b.internal/debug-mode");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Message.Contains(expected, StringComparison.Ordinal)), "kedge logs the request winch asked it to");
        var line = Assert.Single(_logs.Entries, e => e.Message.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.StartsWith("Request proxied inside cluster", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_NoKedgeRoute_KedgeErrorHeadersReachTheCaller()
    {
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{_winch.HttpPort}"), UseProxy = true });

        using var response = await client.GetAsync("http://unknown.shop.svc.cluster-b.internal/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("no-route", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.False(response.Headers.Contains("X-Winch-Error"));
    }

    [Fact]
    public async Task Grpc_ChannelToWinchWithTargetAuthority_UnaryAndStreamingThroughKedge()
    {
        using var channel = GrpcChannel.ForAddress(
            $"http://127.0.0.1:{_winch.GrpcPort}",
            new GrpcChannelOptions { HttpHandler = new AuthorityHandler("greeter.shop.svc.cluster-b.internal:8081", new SocketsHttpHandler()) });
        var greeter = new Greeter.GreeterClient(channel);

        var unary = await greeter.SayHelloAsync(new HelloRequest { Name = "dev" }, new Metadata { { "x-caller", "kept" } });
        using var stream = greeter.SayHellos(new HelloRequest { Name = "s", Count = 2 });
        var streamed = await stream.ResponseStream.ReadAllAsync().Select(r => r.Message).ToListAsync();

        Assert.Equal("Hello dev", unary.Message);
        Assert.Equal("greeter.shop.svc.cluster-b.internal:8081", unary.Authority);
        Assert.Equal("Bearer for-the-backend", unary.Authorization);
        Assert.Equal(["Hello s 0", "Hello s 1"], streamed);
    }

    private static string? Header(EchoReport echo, string name)
        => echo.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private sealed class AuthorityHandler(string authority, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = authority;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
