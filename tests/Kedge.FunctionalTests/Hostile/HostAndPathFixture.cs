using System.Net;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// One kedge (mTLS on loopback) with an echo backend, shared by the host/port and path form tests: routes with and without
/// path rules, a route with a port matcher, a path-ruled route that accepts ambiguous paths, an adhoc rule whose default
/// port is the backend's (80 not allowed), and a gRPC route and adhoc rule.
/// </summary>
public sealed class HostAndPathFixture : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();

    public TestLogSink Logs { get; } = new();

    public LoopbackServer Backend { get; private set; } = null!;

    public LoopbackServer GrpcBackend { get; private set; } = null!;

    public KedgeServerFixture Kedge { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), Logs);
        GrpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, Logs);
        var port = Backend.Port;
        var grpcPort = GrpcBackend.Port;
        _dns.Addresses["x.ports.test"] = [IPAddress.Loopback];
        _dns.Addresses["greeter.ports.test"] = [IPAddress.Loopback];
        string[] loopback = ["127.0.0.0/8"];
        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "echo", Host = "paths.test", PathRules = ["/v1/*", "/exact"] },
                new() { Backend = "echo", Host = "lenient.test", PathRules = ["/v1/*"], AllowAmbiguousPaths = true },
                new() { Backend = "echo", Host = "port80.test", Port = 80 },
                new() { Backend = "echo", Host = "any.test" },
            ],
            GrpcRoutes = [new() { Backend = "greeter", AuthorityHost = "greeter.test" }],
            HttpBackends = [new() { Name = "echo", Static = new() { Addresses = [$"127.0.0.1:{port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{grpcPort}"] } }],
            HttpAdhocRules = [new() { DnsNameMatcher = "*.ports.test", Port = new() { Default = port, Allowed = [port] }, AllowedReservedNetworks = [.. loopback] }],
            GrpcAdhocRules = [new() { DnsNameMatcher = "*.ports.test", Port = new() { Default = grpcPort, Allowed = [grpcPort] }, AllowedReservedNetworks = [.. loopback] }],
        };
        Kedge = await KedgeServerFixture.StartAsync(Logs, routing, settings => settings.DnsServers = [_dns.EndPoint.ToString()]);
    }

    public async Task DisposeAsync()
    {
        await Kedge.DisposeAsync();
        await Backend.DisposeAsync();
        await GrpcBackend.DisposeAsync();
        await _dns.DisposeAsync();
        Logs.Dispose();
    }

    /// <summary>Sends a hand-written HTTP/1.1 request head (lines separated by <c>\n</c>) and reads the answer.</summary>
    internal async Task<RawHttpResponse> SendAsync(string head)
        => RawHttpResponse.Parse(await RawTlsClient.SendAsync(Kedge.Server.ProxyPort, head, Kedge.ClientCertificate, Kedge.Ca.Certificate));

    /// <summary>Asserts that kedge refused the request itself: status, error type, a message naming <paramref name="named"/>, logged at Debug only.</summary>
    internal void AssertRefused(RawHttpResponse response, int status, string type, string named)
    {
        Assert.True(response.Status == status, response.Text);
        Assert.Equal(type, response.KedgeErrorType);
        Assert.Contains(named, response.KedgeError, StringComparison.Ordinal);
        var logged = Logs.Entries.Where(e => e.Message.Contains(response.KedgeError!, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(logged);
        Assert.All(logged, e => Assert.Equal(LogLevel.Debug, e.Level));
    }
}
