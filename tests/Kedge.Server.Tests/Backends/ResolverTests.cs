using System.Net;
using DnsClient;
using Kedge.Server.Backends;
using Kedge.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Backends;

public sealed class ResolverTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private LookupClient Client() => new(new LookupClientOptions(new NameServer(_dns.EndPoint)) { UseCache = false, Timeout = TimeSpan.FromSeconds(1), Retries = 0, UseTcpFallback = false });

    [Fact]
    public async Task Srv_EveryTargetEveryAddress_Resolved()
    {
        _dns.Srv["_grpc._tcp.greeter.ns.svc.cluster.local"] = [(10, 5, 8081, "pod-a.greeter.local"), (10, 5, 8082, "pod-b.greeter.local")];
        _dns.Addresses["pod-a.greeter.local"] = [IPAddress.Parse("127.0.0.11"), IPAddress.Parse("127.0.0.12")];
        _dns.Addresses["pod-b.greeter.local"] = [IPAddress.Parse("::1")];
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new SrvResolver("_grpc._tcp.greeter.ns.svc.cluster.local", 0, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        Assert.Equal(["127.0.0.11:8081", "127.0.0.12:8081", "[::1]:8082"], seen.Single().Select(e => e.Authority).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Srv_PortOverride_ReplacesRecordPorts()
    {
        _dns.Srv["_http._tcp.web.local"] = [(0, 0, 1111, "web-1.local")];
        _dns.Addresses["web-1.local"] = [IPAddress.Parse("127.0.0.21")];
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new SrvResolver("_http._tcp.web.local", 9090, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        Assert.Equal("127.0.0.21:9090", Assert.Single(seen.Single()).Authority);
    }

    [Fact]
    public async Task Srv_RecordsChange_NewSetReportedOnNextRefresh()
    {
        _dns.Srv["_http._tcp.web.local"] = [(0, 0, 80, "web-1.local")];
        _dns.Addresses["web-1.local"] = [IPAddress.Parse("127.0.0.21")];
        _dns.Addresses["web-2.local"] = [IPAddress.Parse("127.0.0.22")];
        var clock = new FakeTimeProvider();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new SrvResolver("_http._tcp.web.local", 0, TimeSpan.FromSeconds(5), clock, NullLogger.Instance, Client());
        await resolver.StartAsync(seen.Enqueue, CancellationToken.None);

        _dns.Srv["_http._tcp.web.local"] = [(0, 0, 80, "web-1.local"), (0, 0, 80, "web-2.local")];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50);
        }

        Assert.Equal(2, seen.Count);
        Assert.Equal(["127.0.0.21:80", "127.0.0.22:80"], seen.Last().Select(e => e.Authority));
    }

    [Fact]
    public async Task Srv_RecordDisappears_LastKnownEndpointsKept()
    {
        _dns.Srv["_http._tcp.web.local"] = [(0, 0, 80, "web-1.local")];
        _dns.Addresses["web-1.local"] = [IPAddress.Parse("127.0.0.21")];
        var clock = new FakeTimeProvider();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new SrvResolver("_http._tcp.web.local", 0, TimeSpan.FromSeconds(5), clock, NullLogger.Instance, Client());
        await resolver.StartAsync(seen.Enqueue, CancellationToken.None);
        var queriesBefore = _dns.QueryCount;

        _dns.Srv.TryRemove("_http._tcp.web.local", out _); // NXDOMAIN from now on
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_dns.QueryCount < queriesBefore + 2 && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50);
        }

        Assert.True(_dns.QueryCount >= queriesBefore + 2, "the resolver did not query again");
        Assert.Single(seen); // no empty set was reported
        Assert.Equal("127.0.0.21:80", seen.Single().Single().Authority);
    }

    [Fact]
    public async Task Srv_LookupFails_NoEndpointsAtStart()
    {
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new SrvResolver("_http._tcp.missing.local", 0, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        Assert.Empty(seen.Single());
    }

    [Fact]
    public async Task Host_Localhost_EveryAddressWithPort()
    {
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new HostResolver("localhost", 8080, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance);

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        var endpoints = seen.Single();
        Assert.Contains(endpoints, e => e.Authority == "127.0.0.1:8080");
        Assert.All(endpoints, e => Assert.Equal(8080, e.Port));
    }

    [Fact]
    public async Task Host_WithKedgesDnsServer_EveryAAndAaaaAddress()
    {
        _dns.Addresses["orders.pods.test"] = [IPAddress.Parse("127.0.0.31"), IPAddress.Parse("::1")];
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new HostResolver("orders.pods.test", 8080, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        Assert.Equal(["127.0.0.31:8080", "[::1]:8080"], seen.Single().Select(e => e.Authority));
    }

    [Fact]
    public async Task Host_WithKedgesDnsServerNxdomain_NoEndpointsAndResolveOnceThrows()
    {
        var seen = new List<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new HostResolver("missing.pods.test", 8080, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        await resolver.StartAsync(seen.Add, CancellationToken.None);

        Assert.Empty(seen.Single());
        var failure = await Assert.ThrowsAsync<DnsResponseException>(() => resolver.ResolveOnceAsync(CancellationToken.None));
        Assert.Equal(DnsResponseCode.NotExistentDomain, failure.Code);
    }

    [Fact]
    public async Task Host_WithKedgesDnsServer_ServfailForAAndNoAaaa_LastKnownEndpointsKept()
    {
        _dns.Addresses["orders.pods.test"] = [IPAddress.Parse("127.0.0.31")];
        var clock = new FakeTimeProvider();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<BackendEndpoint>>();
        await using var resolver = new HostResolver("orders.pods.test", 8080, TimeSpan.FromSeconds(5), clock, NullLogger.Instance, Client());
        await resolver.StartAsync(seen.Enqueue, CancellationToken.None);
        var queriesBefore = _dns.QueryCount;

        // A answers SERVFAIL, AAAA answers NOERROR with no record: no address, but not "no endpoints".
        _dns.ServerFailures[("orders.pods.test", 1)] = true;
        await Eventually.TrueAsync(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            return _dns.QueryCount >= queriesBefore + 4;
        }, "the resolver did not query again");

        Assert.Equal("127.0.0.31:8080", Assert.Single(Assert.Single(seen)).Authority);
        var failure = await Assert.ThrowsAsync<DnsResponseException>(() => resolver.ResolveOnceAsync(CancellationToken.None));
        Assert.Equal(DnsResponseCode.ServerFailure, failure.Code);
    }

    [Fact]
    public async Task Host_WithKedgesDnsServer_NoDataForBoth_ResolveOnceThrowsNoData()
    {
        _dns.Addresses["empty.pods.test"] = [];
        await using var resolver = new HostResolver("empty.pods.test", 8080, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        var failure = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => resolver.ResolveOnceAsync(CancellationToken.None));

        Assert.Equal(System.Net.Sockets.SocketError.NoData, failure.SocketErrorCode);
    }

    [Fact]
    public async Task Srv_NoRecords_ResolveOnceThrowsSoLastKnownEndpointsStay()
    {
        _dns.Srv["_http._tcp.empty.local"] = [];
        await using var resolver = new SrvResolver("_http._tcp.empty.local", 0, TimeSpan.FromSeconds(5), new FakeTimeProvider(), NullLogger.Instance, Client());

        var failure = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => resolver.ResolveOnceAsync(CancellationToken.None));

        Assert.Equal(System.Net.Sockets.SocketError.NoData, failure.SocketErrorCode);
    }

    [Fact]
    public void CreateDnsResolver_KedgeDnsServersSet_HostAndSrvUseThem()
    {
        var settings = new Kedge.Server.Configuration.KedgeServerSettings { DnsServers = [_dns.EndPoint.ToString()] };

        var client = Kedge.Server.Management.BackendManager.CreateLookupClient(settings);

        var server = Assert.Single(client!.NameServers);
        Assert.Equal((_dns.EndPoint.Address.ToString(), _dns.EndPoint.Port), (server.Address, server.Port));
        Assert.Null(Kedge.Server.Management.BackendManager.CreateLookupClient(new Kedge.Server.Configuration.KedgeServerSettings()));
        Assert.IsType<HostResolver>(Kedge.Server.Management.BackendManager.CreateDnsResolver(
            new Kedge.Server.Configuration.BackendOptions { Name = "orders", Host = new() { DnsName = "orders.pods.test", Port = 80 } }, settings, new FakeTimeProvider(), NullLoggerFactory.Instance));
    }

    [Theory]
    [InlineData("10.0.0.7:8080", "10.0.0.7", 8080)]
    [InlineData("[fd00::7]:443", "fd00::7", 443)]
    [InlineData("svc.ns:9000", "svc.ns", 9000)]
    public void Static_Parse(string address, string host, int port)
    {
        var endpoint = StaticResolver.Parse(address);

        Assert.Equal((host, port), (endpoint.Host, endpoint.Port));
    }

    [Theory]
    [InlineData("10.0.0.7")]
    [InlineData("10.0.0.7:0")]
    [InlineData("10.0.0.7:99999")]
    [InlineData(":80")]
    public void Static_ParseInvalid_Throws(string address)
    {
        Assert.Throws<FormatException>(() => StaticResolver.Parse(address));
    }
}
