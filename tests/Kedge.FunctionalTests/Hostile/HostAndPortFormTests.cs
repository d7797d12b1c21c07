using Grpc.Core;
using Grpc.Net.Client;
using Kedge.FunctionalTests.Server;
using Kedge.Testing.Greeter;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// Host and port forms on raw HTTP/1.1 over mTLS (and gRPC authorities): the status, and what the backend received.
/// Forms Kestrel's own parser refuses (non-numeric ports, two Host headers, a Host that differs from the absolute-form
/// target) are answered 400 by Kestrel, before kedge, without an <c>X-Kedge-Error</c>.
/// </summary>
public sealed class HostAndPortFormTests(HostAndPathFixture fixture) : IClassFixture<HostAndPathFixture>
{
    private int BackendPort => fixture.Backend.Port;

    public static TheoryData<string, int, string?> HostForms() => new()
    {
        // Host header value, expected status, authority the backend sees (null: the backend sees nothing).
        { "any.test", 200, "any.test" },
        { "any.test:80", 200, "any.test:80" },
        { "ANY.test", 200, "ANY.test" },
        { "any.test:-1", 400, null },
        { "any.test:abc", 400, null },
        { "any.test:80:80", 400, null },
        { "any.test: 80", 400, null },
        { "[::1]:80", 403, null },
        { "[::1]", 403, null },
        { "127.0.0.1:80", 403, null },
    };

    [Theory]
    [MemberData(nameof(HostForms))]
    public async Task HostHeader_Form_StatusAndBackendAuthority(string host, int status, string? backendSees)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync($"GET /form HTTP/1.1\nHost: {host}\n");

        Assert.True(response.Status == status, response.Text);
        Assert.Equal(backendSees, response.Echo?.Host);
        Assert.Equal(backendSees is null ? before : before + 1, fixture.Backend.RequestCount);
    }

    [Theory]
    [InlineData("any.test:65536")]
    [InlineData("any.test:99999999999")]
    [InlineData("any.test:0")]
    [InlineData("x.ports.test:65536")]
    [InlineData("nothing.claims.test:65536")]
    public async Task HostHeader_PortOutOfRange_400BeforeRoutingNamingTheAuthority(string host)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync($"GET / HTTP/1.1\nHost: {host}\n");

        fixture.AssertRefused(response, 400, "unknown-route-error", $"'{host}'");
        Assert.Equal(before, fixture.Backend.RequestCount);
    }

    [Fact]
    public async Task HostHeader_EmptyPort_RefusedByKestrelBeforeKedge()
    {
        // RFC 3986 allows "name:" and Go routes it as no port; Kestrel's Host validation refuses it before any middleware
        // runs. Kedge's own parser reads an empty port as no port (absolute form, below, and the unit tests).
        var response = await fixture.SendAsync("GET / HTTP/1.1\nHost: any.test:\n");

        Assert.Equal(400, response.Status);
        Assert.Null(response.KedgeErrorType);
    }

    [Fact]
    public async Task HostHeader_TwoHostHeaders_400()
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync("GET / HTTP/1.1\nHost: any.test\nHost: x.ports.test\n");

        Assert.Equal(400, response.Status);
        Assert.Equal(before, fixture.Backend.RequestCount);
    }

    [Theory]
    [InlineData("http://any.test/", "any.test", "any.test")]
    [InlineData("http://any.test:80/", "any.test:80", "any.test:80")]
    [InlineData("http://any.test:80/", "any.test", "any.test:80")]
    [InlineData("http://any.test:/", "any.test", "any.test")]
    [InlineData("http://user@any.test/", "any.test", "any.test")]
    public async Task AbsoluteForm_Authority_BackendSeesTheTargetAuthority(string target, string hostHeader, string backendSees)
    {
        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: {hostHeader}\n");

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(backendSees, response.Echo!.Host);
    }

    [Theory]
    [InlineData("http://any.test/", "other.test")]
    [InlineData("http://any.test:8080/", "any.test")]
    [InlineData("http://any.test:65536/", "any.test:65536")]
    public async Task AbsoluteForm_HostMismatchOrBadPort_400(string target, string hostHeader)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: {hostHeader}\n");

        Assert.Equal(400, response.Status);
        Assert.Equal(before, fixture.Backend.RequestCount);
    }

    [Theory]
    [InlineData("GET http://x.ports.test:80/ HTTP/1.1\nHost: x.ports.test:80\n")]
    [InlineData("GET http://x.ports.test:80/ HTTP/1.1\nHost: x.ports.test\n")]
    [InlineData("GET / HTTP/1.1\nHost: x.ports.test:80\n")]
    public async Task Adhoc_NamedPort80_CheckedAgainstTheRuleInEveryForm(string head)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync(head);

        fixture.AssertRefused(response, 400, "unknown-route-error", "adhoc: port 80 is not allowed");
        Assert.Equal(before, fixture.Backend.RequestCount);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: x.ports.test\n", "x.ports.test")]
    [InlineData("GET http://x.ports.test/ HTTP/1.1\nHost: x.ports.test\n", "x.ports.test")]
    [InlineData("GET http://x.ports.test:/ HTTP/1.1\nHost: x.ports.test\n", "x.ports.test")]
    public async Task Adhoc_NoPortOrEmptyPort_RuleDefaultPortUsed(string head, string backendSees)
    {
        var response = await fixture.SendAsync(head);

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(backendSees, response.Echo!.Host);
    }

    [Fact]
    public async Task Adhoc_AllowedPortInEveryForm_BackendSeesTheNamedAuthority()
    {
        var origin = await fixture.SendAsync($"GET / HTTP/1.1\nHost: x.ports.test:{BackendPort}\n");
        var absolute = await fixture.SendAsync($"GET http://x.ports.test:{BackendPort}/ HTTP/1.1\nHost: x.ports.test:{BackendPort}\n");

        Assert.Equal($"x.ports.test:{BackendPort}", origin.Echo!.Host);
        Assert.Equal($"x.ports.test:{BackendPort}", absolute.Echo!.Host);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: port80.test\n", 200)]
    [InlineData("GET / HTTP/1.1\nHost: port80.test:80\n", 200)]
    [InlineData("GET http://port80.test/ HTTP/1.1\nHost: port80.test\n", 200)]
    [InlineData("GET http://port80.test:80/ HTTP/1.1\nHost: port80.test:80\n", 200)]
    [InlineData("GET / HTTP/1.1\nHost: port80.test:8080\n", 502)]
    [InlineData("GET https://port80.test/ HTTP/1.1\nHost: port80.test\n", 502)]
    public async Task RoutePort_NamedOrDefaultPort_Matched(string head, int status)
    {
        var response = await fixture.SendAsync(head);

        Assert.True(response.Status == status, response.Text);
    }

    [Fact]
    public async Task Adhoc_UnresolvableNameWithPort_MessageNamesHostAndPortAsGo()
    {
        var response = await fixture.SendAsync($"GET / HTTP/1.1\nHost: nosuch.ports.test:{BackendPort}\n");

        Assert.Equal(502, response.Status);
        Assert.Equal("unknown-route-error", response.KedgeErrorType);
        Assert.StartsWith($"adhoc: cannot resolve nosuch.ports.test:{BackendPort} host: ", response.KedgeError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("greeter.test:65536")]
    [InlineData("greeter.test:99999999999")]
    [InlineData("greeter.ports.test:65536")]
    [InlineData("greeter.ports.test:0")]
    public async Task Grpc_RawAuthorityPortOutOfRange_InvalidArgumentBeforeRouting(string authority)
    {
        var before = fixture.GrpcBackend.RequestCount;

        // HttpClient will not send these authorities: hand-written HTTP/2 frames.
        await using var h2 = await RawHttp2Client.ConnectAsync(fixture.Kedge.Server.ProxyPort, fixture.Kedge.ClientCertificate, fixture.Kedge.Ca.Certificate);
        await h2.SendHeadersAsync(1, [(":method", "POST"), (":scheme", "https"), (":authority", authority), (":path", "/kedge.testing.Greeter/SayHello"), ("content-type", "application/grpc"), ("te", "trailers")]);
        var headers = (await h2.ReadOutcomeAsync(1, TimeSpan.FromSeconds(15))).HeaderBlock;

        Assert.Contains("grpc-status\u0001" + "3", headers, StringComparison.Ordinal); // a one-byte literal: 3 = InvalidArgument
        Assert.Contains($"malformed authority '{authority}'", headers, StringComparison.Ordinal);
        Assert.Equal(before, fixture.GrpcBackend.RequestCount);
    }

    [Theory]
    [InlineData("greeter.test:0")]
    [InlineData("greeter.ports.test:0")]
    public async Task Grpc_AuthorityPortOutOfRange_InvalidArgumentNamingTheAuthority(string authority)
    {
        var before = fixture.GrpcBackend.RequestCount;
        using var channel = Channel(authority);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains($"'{authority}'", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, fixture.GrpcBackend.RequestCount);
    }

    [Fact]
    public async Task Grpc_AdhocUnresolvableName_NotFoundNamingHostAndPort()
    {
        using var channel = Channel($"nosuch.ports.test:{fixture.GrpcBackend.Port}");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.StartsWith($"adhoc: cannot resolve nosuch.ports.test:{fixture.GrpcBackend.Port} host: ", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_AdhocNamedPort_CheckedAndForwarded()
    {
        using var allowed = Channel($"greeter.ports.test:{fixture.GrpcBackend.Port}");
        using var refused = Channel("greeter.ports.test:80");

        var reply = await new Greeter.GreeterClient(allowed).SayHelloAsync(new HelloRequest { Name = "p" });
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(refused).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal($"greeter.ports.test:{fixture.GrpcBackend.Port}", reply.Authority);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("adhoc: port 80 is not allowed", ex.Status.Detail);
    }

    /// <summary>A gRPC channel to kedge whose calls carry <paramref name="authority"/> as <c>:authority</c>.</summary>
    private GrpcChannel Channel(string authority) => GrpcChannel.ForAddress(fixture.Kedge.KedgeUrl, new GrpcChannelOptions
    {
        HttpHandler = new AuthorityOverride(authority) { InnerHandler = KedgeTestHttp.CreateHandler(fixture.Kedge, fixture.Kedge.ClientCertificate) },
        DisposeHttpClient = true,
    });

    private sealed class AuthorityOverride(string authority) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("Host", authority);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
