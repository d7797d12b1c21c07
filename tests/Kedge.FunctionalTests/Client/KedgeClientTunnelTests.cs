using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Client.Tunnels;
using Kedge.Common;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// Kedge.Client's tunnels against a kedge stand-in that speaks kedge's tunnel contract (extended CONNECT
/// <c>connect-tcp</c>: 200 then bytes, or kedge's error headers): what goes on the wire, bytes both ways, refusals.
/// The same API against a real kedge is in <c>TunnelThroughKedgeTests</c>.
/// </summary>
public sealed class KedgeClientTunnelTests : IAsyncLifetime
{
    private const string Refused = "refused.kedge:5432";

    private readonly TestLogSink _logs = new();
    private readonly ConcurrentQueue<SeenConnect> _seen = new();
    private readonly TestCertificateAuthority _backendCa = TestCertificateAuthority.Create("Backend CA");
    private LoopbackServer _backend = null!;
    private KedgeStandIn _kedge = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = _backendCa.IssueServerCertificate("orders.kedge") }, _logs);
        _kedge = await KedgeStandIn.StartAsync(_logs, app => app.Use(async (context, next) =>
        {
            var connect = context.Features.Get<IHttpExtendedConnectFeature>();
            if (connect is not { IsExtendedConnect: true } || connect.Protocol != "connect-tcp")
            {
                await next(context);
                return;
            }

            var authority = context.Request.Host.Value ?? string.Empty;
            _seen.Enqueue(new SeenConnect(authority, context.Request.Protocol, context.Request.Headers.ProxyAuthorization.ToString(), context.Request.Headers.Authorization.ToString()));
            if (authority == Refused)
            {
                context.Response.StatusCode = 403;
                context.Response.Headers[KedgeHeaders.Error] = "the tunnel route does not allow this caller";
                context.Response.Headers[KedgeHeaders.ErrorType] = KedgeErrorTypeNames.Forbidden;
                return;
            }

            var stream = await connect.AcceptAsync();
            if (authority.StartsWith("orders.kedge:", StringComparison.Ordinal))
            {
                // A kedge's job in miniature: the bytes to and from the backend, untouched.
                using var backend = new TcpClient();
                await backend.ConnectAsync(IPAddress.Loopback, _backend.Port);
                await Task.WhenAny(stream.CopyToAsync(backend.GetStream()), backend.GetStream().CopyToAsync(stream));
                return;
            }

            await stream.CopyToAsync(stream);
        }));
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        _backendCa.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task OpenTunnelAsync_KedgeDestination_SendsExtendedConnectWithProxyTokenOnly()
    {
        using var client = CreateClient();

        await using var tunnel = await client.OpenTunnelAsync("db.shop.kedge", 5432);
        await tunnel.WriteAsync("ping"u8.ToArray());
        var echoed = new byte[4];

        // No flush: a tunnel sends what is written (HttpClient alone would hold it until a keep-alive ping).
        await tunnel.ReadExactlyAsync(echoed).AsTask().WaitAsync(Eventually.DefaultTimeout);

        Assert.Equal("ping"u8.ToArray(), echoed);
        var seen = Assert.Single(_seen);
        Assert.Equal("db.shop.kedge:5432", seen.Authority);
        Assert.Equal("HTTP/2", seen.Protocol);
        Assert.Equal("Bearer proxy-token", seen.ProxyAuthorization);
        Assert.Equal(string.Empty, seen.Authorization);
    }

    [Fact]
    public async Task OpenTunnelAsync_OneMegabyteEachWay_ArrivesIntact()
    {
        using var client = CreateClient();
        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);

        await using var tunnel = await client.OpenTunnelAsync("db.shop.kedge", 5432);
        var echoed = new byte[payload.Length];
        var read = tunnel.ReadExactlyAsync(echoed).AsTask();
        await tunnel.WriteAsync(payload);
        await tunnel.FlushAsync();
        await read;

        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task OpenTunnelAsync_TokenCancelledAfterOpening_TunnelStaysOpen()
    {
        using var client = CreateClient();
        using var opening = new CancellationTokenSource();

        await using var tunnel = await client.OpenTunnelAsync("db.shop.kedge", 5432, opening.Token);
        await opening.CancelAsync();
        await tunnel.WriteAsync("still here"u8.ToArray());
        var echoed = new byte[10];

        // Bounded: a tunnel still tied to the token stalls rather than failing.
        await tunnel.ReadExactlyAsync(echoed).AsTask().WaitAsync(Eventually.DefaultTimeout);

        Assert.Equal("still here"u8.ToArray(), echoed);
    }

    [Fact]
    public async Task OpenTunnelAsync_KedgeRefuses_ThrowsWithKedgeErrorKind()
    {
        using var client = CreateClient();

        var refusal = await Assert.ThrowsAsync<KedgeTunnelException>(() => client.OpenTunnelAsync("refused.kedge", 5432));

        Assert.Equal(Refused, refusal.Target);
        Assert.Same(KedgeErrorKind.Forbidden, refusal.ErrorKind);
        Assert.Equal(HttpStatusCode.Forbidden, refusal.StatusCode);
        Assert.Equal(HttpRequestError.ProxyTunnelError, refusal.HttpRequestError);
        Assert.Contains("the tunnel route does not allow this caller", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenTunnelAsync_NotKedgeDestination_ThrowsWithoutSending()
    {
        using var client = CreateClient();

        var refusal = await Assert.ThrowsAsync<KedgeTunnelException>(() => client.OpenTunnelAsync("db.example.com", 5432));

        Assert.Null(refusal.KedgeError);
        Assert.Contains("is not a kedge destination", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(_seen);
    }

    [Theory]
    [InlineData("10.0.0.7")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public async Task OpenTunnelAsync_IpLiteral_ThrowsWithoutSending(string host)
    {
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(_kedge.KedgeUrl)), _logs);

        var refusal = await Assert.ThrowsAsync<KedgeTunnelException>(() => client.OpenTunnelAsync(host, 5432));

        Assert.IsType<KedgeMappingException>(refusal.InnerException);
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task OpenTunnelAsync_PlainTextKedge_ThrowsWithoutSending()
    {
        using var client = KedgeClient.Create(_kedge.ClientOptions(KedgeMapper.Single(new Uri("http://127.0.0.1:1"))), _logs);

        var refusal = await Assert.ThrowsAsync<KedgeTunnelException>(() => client.OpenTunnelAsync("db.shop.kedge", 5432));

        Assert.Contains("TLS port only", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 5432)]
    [InlineData("db.shop.kedge", 0)]
    [InlineData("db.shop.kedge", 65536)]
    public async Task OpenTunnelAsync_BadArguments_Throw(string host, int port)
    {
        using var client = CreateClient();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.OpenTunnelAsync(host, port));
    }

    [Fact]
    public async Task TunnelConnectCallback_HttpsBackend_TlsRunsEndToEndInsideTheTunnel()
    {
        using var client = CreateClient();
        using var handler = new SocketsHttpHandler { ConnectCallback = client.TunnelConnectCallback };
        handler.SslOptions.CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { _backendCa.Certificate },
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        using var http = new HttpClient(handler);

        var echo = await http.GetFromJsonAsync<EchoReport>("https://orders.kedge:8443/v1/orders?id=7", LoopbackServer.JsonOptions);

        // The backend completed the TLS handshake for its own name: kedge (the stand-in) only carried bytes.
        Assert.Equal("orders.kedge", echo!.Sni);
        Assert.Equal("/v1/orders", echo.Path);
        Assert.Equal("orders.kedge:8443", echo.Host);
        Assert.Equal("Bearer proxy-token", Assert.Single(_seen).ProxyAuthorization);
        Assert.DoesNotContain(echo.Headers.Keys, h => h.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TunnelConnectCallback_NotKedgeDestination_FailsTheCall()
    {
        using var client = CreateClient();
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = client.TunnelConnectCallback });

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("https://www.example.com/")));

        Assert.IsType<KedgeTunnelException>(failure.InnerException ?? failure);
        Assert.Empty(_seen);
    }

    private KedgeClient CreateClient()
        => KedgeClient.Create(
            _kedge.ClientOptions(KedgeMapper.Regex(
                @"\.kedge(:[0-9]+)?$",
                _kedge.KedgeUrl.ToString().TrimEnd('/'),
                proxyAuth: KedgeTokenSource.FromValue("proxy", "proxy-token"),
                backendAuth: KedgeTokenSource.FromValue("backend", "backend-token"))),
            _logs);

    private sealed record SeenConnect(string Authority, string Protocol, string ProxyAuthorization, string Authorization);
}
