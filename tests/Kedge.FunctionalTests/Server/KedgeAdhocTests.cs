using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// Adhoc rules (reference §3.3/§4.3 with the Go bugs fixed) and the open-proxy refusals, for HTTP and gRPC, with names
/// served by a loopback DNS server.
/// </summary>
public sealed class KedgeAdhocTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TestDnsServer _dns = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
        var port = _backend.Port;
        var grpcPort = _grpcBackend.Port;
        _dns.Addresses["orders.pods.test"] = [IPAddress.Loopback];
        _dns.Addresses["orders.range.test"] = [IPAddress.Loopback];
        _dns.Addresses["twice.pods.test"] = [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback];
        _dns.Addresses["inner.pods.test"] = [IPAddress.Loopback];
        _dns.Addresses["local.guarded.test"] = [IPAddress.Loopback];
        _dns.Addresses["metadata.guarded.test"] = [IPAddress.Parse("169.254.169.254")];
        _dns.Addresses["greeter.pods.test"] = [IPAddress.Loopback];
        string[] loopback = ["127.0.0.0/8"];
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "orders", Host = "routed.shop.svc.cluster-b.kedge" }],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{port}"] } }],
            HttpAdhocRules =
            [
                new() { DnsNameMatcher = "*.PODS.test", Port = new() { Default = port, Allowed = [port] }, AllowedReservedNetworks = [.. loopback] },
                new() { DnsNameMatcher = "*.range.test", Port = new() { AllowedRanges = [new() { From = port, To = port + 10 }, new() { From = port - 10, To = port - 1 }] }, AllowedReservedNetworks = [.. loopback] },
                new() { DnsNameMatcher = "*.outer.test", Port = new() { Default = port, Allowed = [port] }, DnsNameReplace = new() { Pattern = ".outer.test", Substitution = ".pods.test" }, AllowedReservedNetworks = [.. loopback] },
                new() { DnsNameMatcher = "*.misconfigured.test", Port = new() { Default = port, Allowed = [port] }, DnsNameReplace = new() { Pattern = ".nowhere", Substitution = ".pods.test" }, AllowedReservedNetworks = [.. loopback] },
                new() { DnsNameMatcher = "*.guarded.test", Port = new() { Default = port, Allowed = [port, 80] } },
                new() { DnsNameMatcher = "*.ip.test", Port = new() { Default = port, Allowed = [port] }, AllowedReservedNetworks = [.. loopback], DnsNameReplace = new() { Pattern = ".ip.test", Substitution = "" } },
                new() { DnsNameMatcher = "*.secure.test", Port = new() { Default = port, Allowed = [port] }, AllowedReservedNetworks = [.. loopback], DnsNameReplace = new() { Pattern = ".secure.test", Substitution = ".pods.test" },
                        Authorization = new() { ClientCertificate = new() { SubjectCommonNames = ["payments-*"] } } },
            ],
            GrpcAdhocRules =
            [
                new() { DnsNameMatcher = "*.pods.test", Port = new() { Allowed = [grpcPort] }, AllowedReservedNetworks = [.. loopback] },
                new() { DnsNameMatcher = "*.outer.test", Port = new() { AllowedRanges = [new() { From = grpcPort, To = grpcPort }] }, AllowedReservedNetworks = [.. loopback], DnsNameReplace = new() { Pattern = ".outer.test", Substitution = ".pods.test" } },
                new() { DnsNameMatcher = "*.misconfigured.test", Port = new() { Allowed = [grpcPort] }, DnsNameReplace = new() { Pattern = ".nowhere", Substitution = ".pods.test" } },
            ],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.DnsServers = [_dns.EndPoint.ToString()]);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        await _dns.DisposeAsync();
        _logs.Dispose();
    }

    private async Task<HttpResponseMessage> SendAsync(string host, HttpMethod? method = null)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        using var request = KedgeTestHttp.Request(host, "/adhoc");
        request.Method = method ?? HttpMethod.Get;
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static void AssertError(HttpResponseMessage response, HttpStatusCode status, string type, string message)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(type, response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.Contains(message, response.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_NoPortGiven_DefaultPortUsedAndBackendSeesOriginalHost()
    {
        using var response = await SendAsync("orders.pods.test");
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("orders.pods.test", echo!.Host);
        Assert.Equal("/adhoc", echo.Path);
    }

    [Fact]
    public async Task Http_MatcherIsCaseInsensitive_UpperCaseNameRouted()
    {
        using var response = await SendAsync("ORDERS.Pods.Test");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Http_PortAtRangeBounds_Allowed()
    {
        // The backend's port is the lower bound of one range and the upper bound + 1 of the other: both bounds are inclusive.
        using var lower = await SendAsync($"orders.range.test:{_backend.Port}");

        Assert.Equal(HttpStatusCode.OK, lower.StatusCode);
    }

    [Fact]
    public async Task Http_PortOutsideRanges_400NotAllowed()
    {
        using var response = await SendAsync($"orders.range.test:{_backend.Port + 11}");

        AssertError(response, HttpStatusCode.BadRequest, "unknown-route-error", $"adhoc: port {_backend.Port + 11} is not allowed");
    }

    [Fact]
    public async Task Http_NoPortAndNoDefault_Port80NotInRanges400()
    {
        using var response = await SendAsync("orders.range.test");

        AssertError(response, HttpStatusCode.BadRequest, "unknown-route-error", "adhoc: port 80 is not allowed");
    }

    [Fact]
    public async Task Http_ReplacePattern_ResolvesRewrittenNameAndKeepsOriginalHost()
    {
        using var response = await SendAsync("inner.outer.test");
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("inner.outer.test", echo!.Host);
    }

    [Fact]
    public async Task Http_ReplacePatternNotInHost_502ConfigurationError()
    {
        using var response = await SendAsync("x.misconfigured.test");

        AssertError(response, HttpStatusCode.BadGateway, "unknown-route-error", "the replace pattern '.nowhere' does not occur in the host");
    }

    [Fact]
    public async Task Http_UnresolvableName_502CannotResolve()
    {
        using var response = await SendAsync("nosuch.pods.test");

        AssertError(response, HttpStatusCode.BadGateway, "unknown-route-error", "adhoc: cannot resolve nosuch.pods.test host");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task Http_FirstAddressRefusesConnection_NextAddressServes()
    {
        using var response = await SendAsync("twice.pods.test");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("local.guarded.test", "127.0.0.1")]
    [InlineData("metadata.guarded.test", "169.254.169.254")]
    public async Task Http_NameResolvingToReservedAddress_403Refused(string host, string address)
    {
        using var response = await SendAsync(host);

        AssertError(response, HttpStatusCode.Forbidden, "forbidden", $"resolves only to addresses kedge refuses ({address}");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("169.254.169.254")]
    public async Task Http_IpLiteralTarget_403Refused(string host)
    {
        using var response = await SendAsync($"{host}:{_backend.Port}");

        AssertError(response, HttpStatusCode.Forbidden, "forbidden", "kedge does not proxy to IP addresses");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task Http_NameRewrittenToIpLiteral_403Refused()
    {
        using var response = await SendAsync("127.0.0.1.ip.test");

        AssertError(response, HttpStatusCode.Forbidden, "forbidden", "rewrites to the IP address 127.0.0.1");
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task Http_CertificateWithNonAsciiName_Answered403NotBrokenHeader()
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.Ca.IssueClientCertificate("zahlungs-\u00fc\u00e4"));
        using var response = await http.SendAsync(KedgeTestHttp.Request("inner.secure.test"));

        AssertError(response, HttpStatusCode.Forbidden, "forbidden", "CN=zahlungs-??");
    }

    [Fact]
    public async Task Http_UnclaimedName_502NoRoute()
    {
        using var response = await SendAsync("orders.elsewhere.test");

        AssertError(response, HttpStatusCode.BadGateway, "no-route", "unknown route to service");
    }

    [Fact]
    public async Task ForwardProxy_AbsoluteFormToIpLiteralOrDisallowedPort_Refused()
    {
        var ip = await Raw($"GET http://127.0.0.1:{_backend.Port}/ HTTP/1.1\nHost: 127.0.0.1:{_backend.Port}\n");
        var port = await Raw("GET http://orders.pods.test:22/ HTTP/1.1\nHost: orders.pods.test:22\n");
        var allowed = await Raw($"GET http://orders.pods.test:{_backend.Port}/x HTTP/1.1\nHost: orders.pods.test:{_backend.Port}\n");

        Assert.StartsWith("HTTP/1.1 403", ip, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", port, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", allowed, StringComparison.Ordinal);
        Assert.Equal(1, _backend.RequestCount);
    }

    [Fact]
    public async Task ForwardProxy_AbsoluteFormAdhocTarget_BackendSeesTargetAuthority()
    {
        var response = await Raw($"GET http://orders.pods.test:{_backend.Port}/abs HTTP/1.1\nHost: orders.pods.test:{_backend.Port}\n");

        Assert.True(response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), response);
        Assert.Contains($"\"host\":\"orders.pods.test:{_backend.Port}\"", response, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"/abs\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_AdhocCalls_ReuseOneConnectionAndSendRealAuthority()
    {
        using var channel = Channel($"greeter.pods.test:{_grpcBackend.Port}");
        var greeter = new Greeter.GreeterClient(channel);

        var first = await greeter.SayHelloAsync(new HelloRequest { Name = "a" });
        var second = await greeter.SayHelloAsync(new HelloRequest { Name = "b" });
        using var stream = greeter.SayHellos(new HelloRequest { Name = "s", Count = 3 });
        var streamed = await stream.ResponseStream.ReadAllAsync().CountAsync();

        Assert.Equal($"greeter.pods.test:{_grpcBackend.Port}", first.Authority);
        Assert.Equal(first.ConnectionId, second.ConnectionId);
        Assert.Equal(3, streamed);
        Assert.Equal(1, _grpcBackend.ConnectionCount);
    }

    [Fact]
    public async Task Grpc_NoPortGiven_Default80NotAllowedInvalidArgument()
    {
        using var channel = Channel("greeter.pods.test");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("adhoc: port 80 is not allowed", ex.Status.Detail);
    }

    [Fact]
    public async Task Grpc_UnresolvableName_NotFound()
    {
        using var channel = Channel($"nosuch.pods.test:{_grpcBackend.Port}");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.StartsWith($"adhoc: cannot resolve nosuch.pods.test:{_grpcBackend.Port} host: ", ex.Status.Detail, StringComparison.Ordinal); // Go's form
    }

    [Theory]
    [InlineData("127.0.0.1", StatusCode.PermissionDenied)]
    [InlineData("unclaimed.example.test", StatusCode.Unimplemented)]
    public async Task Grpc_IpLiteralOrUnclaimedAuthority_Refused(string host, StatusCode expected)
    {
        using var channel = Channel($"{host}:{_grpcBackend.Port}");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal(0, _grpcBackend.RequestCount);
    }

    [Fact]
    public async Task Http_AdhocRuleWithCertificateRule_OtherIdentity403MatchingIdentityPasses()
    {
        using var denied = await SendAsync("inner.secure.test");
        using var http = KedgeTestHttp.Create(_kedge, _kedge.Ca.IssueClientCertificate("payments-api"));
        using var allowed = await http.SendAsync(KedgeTestHttp.Request("inner.secure.test"));

        AssertError(denied, HttpStatusCode.Forbidden, "forbidden", "matches none of [CN=payments-*]");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Grpc_ReplacePatternWithSinglePortRange_RoutedWithOriginalAuthority()
    {
        using var channel = Channel($"greeter.outer.test:{_grpcBackend.Port}");

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "r" });

        Assert.Equal($"greeter.outer.test:{_grpcBackend.Port}", reply.Authority);
    }

    [Theory]
    [InlineData("greeter.outer.test", 1, StatusCode.InvalidArgument, "is not allowed")]
    [InlineData("x.misconfigured.test", 0, StatusCode.NotFound, "the replace pattern '.nowhere' does not occur in the host")]
    public async Task Grpc_PortOutsideRangeOrMisconfiguredReplace_Refused(string host, int portOffset, StatusCode expected, string message)
    {
        using var channel = Channel($"{host}:{_grpcBackend.Port + portOffset}");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest()).ResponseAsync);

        Assert.Equal(expected, ex.StatusCode);
        Assert.Contains(message, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authentication_NoDefaultScheme_NothingAuthenticatesEveryRequest()
    {
        var schemes = _kedge.Server.App.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>();

        Assert.Null(await schemes.GetDefaultAuthenticateSchemeAsync());
        Assert.NotNull(await schemes.GetSchemeAsync("KedgeClientCertificate"));
    }

    private Task<string> Raw(string head) => RawTlsClient.SendAsync(_kedge.Server.ProxyPort, head, _kedge.ClientCertificate, _kedge.Ca.Certificate);

    /// <summary>A channel to kedge whose calls carry <paramref name="authority"/> as <c>:authority</c>.</summary>
    private GrpcChannel Channel(string authority)
    {
        var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        return GrpcChannel.ForAddress(_kedge.KedgeUrl, new GrpcChannelOptions
        {
            HttpHandler = new AuthorityHandler(authority) { InnerHandler = new HttpClientHandlerAdapter(http) },
        });
    }

    private sealed class AuthorityHandler(string authority) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = authority;
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class HttpClientHandlerAdapter(HttpClient client) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                client.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
