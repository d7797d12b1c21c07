using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kedge.Common.Checks;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Kedge.Server.Tests.Checks;

public sealed class BackendChecksTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly List<IAsyncDisposable> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await _dns.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
    }

    private async Task<LoopbackServer> StartAsync(LoopbackServerOptions? options = null, Action<WebApplication>? map = null)
    {
        var server = await LoopbackServer.StartAsync(options ?? new LoopbackServerOptions(), map: map);
        _servers.Add(server);
        return server;
    }

    private static BackendOptions Static(string name, params int[] ports)
        => new() { Name = name, Static = new StaticResolverOptions { Addresses = [.. ports.Select(p => $"127.0.0.1:{p}")] } };

    private static KedgeServerOptions Routing(params BackendOptions[] backends) => new() { HttpBackends = [.. backends] };

    [Fact]
    public async Task For_HealthyStaticBackendWithProbe_PassesWithAddressesAndStatus()
    {
        var backend = await StartAsync();
        var context = CheckContexts.For(Routing(Static("orders", backend.Port)), probePath: "/healthz");

        var report = await CheckContexts.RunBackendsAsync(context);

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Equal($"static: 1 address (127.0.0.1:{backend.Port})", report.Line("backend 'orders'").Found);
        var endpoints = report.Line("backend 'orders' endpoints");
        Assert.Contains("all 1 answer (TCP connect, GET /healthz)", endpoints.Found, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{backend.Port} (200)", endpoints.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_DnsNameDoesNotResolve_FailNamesBackendNameServerAndFix()
    {
        var context = CheckContexts.For(
            Routing(new BackendOptions { Name = "orders", Host = new HostResolverOptions { DnsName = "orders.missing.test", Port = 8080 } }),
            settings => settings.Server.DnsServers = [_dns.EndPoint.ToString()]);

        var report = await CheckContexts.RunBackendsAsync(context);

        var line = report.Line("backend 'orders'");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal($"dns orders.missing.test:8080: the name does not resolve (NXDOMAIN) on DNS server {_dns.EndPoint} (Kedge:Server:DnsServers)", line.Found);
        Assert.Equal("check the name 'orders.missing.test' (backend 'orders' in kedge.json) or the cluster DNS", line.Fix);
        Assert.Single(report.Results); // nothing to probe
        Assert.Equal(CheckReport.ExitFailed, report.ExitCode);
    }

    [Fact]
    public async Task For_DnsAndSrvBackendsResolveOnKedgesDnsServer_PassWithTheirAddresses()
    {
        var backend = await StartAsync();
        _dns.Addresses["orders.pods.test"] = [IPAddress.Loopback];
        _dns.Srv["_http._tcp.users.test"] = [(0, 0, (ushort)backend.Port, "orders.pods.test")];
        var context = CheckContexts.For(
            new KedgeServerOptions
            {
                HttpBackends = [new BackendOptions { Name = "orders", Host = new HostResolverOptions { DnsName = "orders.pods.test", Port = backend.Port } }],
                GrpcBackends = [new BackendOptions { Name = "users", Srv = new SrvResolverOptions { DnsName = "_http._tcp.users.test" } }],
            },
            settings => settings.Server.DnsServers = [_dns.EndPoint.ToString()]);

        var report = await CheckContexts.RunBackendsAsync(context);

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Equal($"dns orders.pods.test:{backend.Port}: 1 address (127.0.0.1:{backend.Port})", report.Line("backend 'orders'").Found);
        Assert.Equal($"srv _http._tcp.users.test: 1 address (127.0.0.1:{backend.Port})", report.Line("gRPC backend 'users'").Found);
        Assert.Equal(CheckStatus.Pass, report.Line("gRPC backend 'users' endpoints").Status);
    }

    [Fact]
    public async Task For_DnsNameWithoutAddresses_FailResolvesToNoAddresses()
    {
        _dns.Srv["_http._tcp.empty.test"] = [];
        var context = CheckContexts.For(
            Routing(new BackendOptions { Name = "empty", Srv = new SrvResolverOptions { DnsName = "_http._tcp.empty.test" } }),
            settings => settings.Server.DnsServers = [_dns.EndPoint.ToString()]);

        var report = await CheckContexts.RunBackendsAsync(context);

        var line = report.Line("backend 'empty'");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.StartsWith("srv _http._tcp.empty.test: resolves to no addresses on DNS server", line.Found, StringComparison.Ordinal);
        Assert.Equal("publish SRV records whose targets have records for _http._tcp.empty.test, or fix the name in backend 'empty' in kedge.json", line.Fix);
    }

    [Fact]
    public async Task For_ClosedEndpointPort_FailNamesEndpointAndFix()
    {
        var healthy = await StartAsync();
        using var closedPort = new ClosedLoopbackPort();
        var closed = closedPort.Port;
        var context = CheckContexts.For(Routing(Static("orders", healthy.Port, closed)));

        var report = await CheckContexts.RunBackendsAsync(context);

        var line = report.Line($"backend 'orders' 127.0.0.1:{closed}");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal("TCP connect refused: nothing listens on that port", line.Found);
        Assert.Equal($"start the backend on 127.0.0.1:{closed}, or fix the address of backend 'orders' in kedge.json", line.Fix);
        Assert.Contains("1 of 2 answer", report.Line("backend 'orders' endpoints").Found, StringComparison.Ordinal);
        Assert.Equal(CheckReport.ExitFailed, report.ExitCode);
    }

    [Fact]
    public async Task For_TlsCertificateDoesNotCoverRouteHost_FailNamesTheNameAndWhatItCovers()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        var backend = await StartAsync(new LoopbackServerOptions { ServerCertificate = _ca.IssueServerCertificate("orders.other.test") });
        var routing = Routing(new BackendOptions { Name = "orders", Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] }, Tls = new BackendTlsOptions { CaFile = caFile } });
        routing.HttpRoutes.Add(new HttpRouteOptions { Backend = "orders", Host = "orders.internal.test" });

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing));

        var line = report.Line($"backend 'orders' 127.0.0.1:{backend.Port}");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.StartsWith("the backend's certificate does not cover 'orders.internal.test' (the Host of the routes that use it); it covers localhost, orders.other.test", line.Found, StringComparison.Ordinal);
        Assert.Equal("give the backend a certificate with 'orders.internal.test' in its subject alternative names, or set Tls.ServerName of backend 'orders' in kedge.json to a name it covers", line.Fix);
    }

    [Fact]
    public async Task For_TlsWithServerNameTheCertificateCovers_PassesVerified()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        var backend = await StartAsync(new LoopbackServerOptions { ServerCertificate = _ca.IssueServerCertificate("orders.internal.test") });
        var routing = Routing(new BackendOptions { Name = "orders", Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] }, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "orders.internal.test" } });

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing, probePath: "/healthz"));

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Contains("TLS handshake, certificate verified for 'orders.internal.test', GET /healthz", report.Line("backend 'orders' endpoints").Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_TlsCertificateFromAnotherCa_FailSaysItDoesNotChainToTheCaFile()
    {
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        var caFile = _ca.WriteCaPem(_dir.Path);
        var backend = await StartAsync(new LoopbackServerOptions { ServerCertificate = otherCa.IssueServerCertificate() });
        var routing = Routing(new BackendOptions { Name = "orders", Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] }, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "localhost" } });

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing));

        var line = report.Line($"backend 'orders' 127.0.0.1:{backend.Port}");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Contains($"issued by CN=Other CA) does not chain to the CA file '{caFile}'", line.Found, StringComparison.Ordinal);
        Assert.StartsWith("set Tls.CaFile of backend 'orders' in kedge.json to the CA that issued the backend's certificate (CN=Other CA)", line.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_ProbePathAnswers5xxOr4xx_FailOrWarnWithStatus()
    {
        var failing = await StartAsync(map: app => app.MapGet("/healthz", () => Results.StatusCode(503)));
        var guarded = await StartAsync(map: app => app.MapGet("/healthz", () => Results.StatusCode(401)));
        var context = CheckContexts.For(Routing(Static("failing", failing.Port), Static("guarded", guarded.Port)), probePath: "/healthz");

        var report = await CheckContexts.RunBackendsAsync(context);

        var fail = report.Line($"backend 'failing' 127.0.0.1:{failing.Port}");
        Assert.Equal((CheckStatus.Fail, $"127.0.0.1:{failing.Port} GET /healthz: 503 Service Unavailable"), (fail.Status, fail.Found));
        Assert.Equal($"look at the backend's logs on 127.0.0.1:{failing.Port}: it fails on GET /healthz", fail.Fix);
        var warn = report.Line($"backend 'guarded' 127.0.0.1:{guarded.Port}");
        Assert.Equal((CheckStatus.Warn, $"127.0.0.1:{guarded.Port} GET /healthz: 401 Unauthorized"), (warn.Status, warn.Found));
        Assert.Equal("check --probe_path=/healthz is a path the backend serves without credentials", warn.Fix);
    }

    [Fact]
    public async Task For_InvalidConfiguration_OneSkippedWarning()
    {
        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing: null));

        var line = Assert.Single(report.Results);
        Assert.Equal((CheckStatus.Warn, "backends"), (line.Status, line.Name));
        Assert.StartsWith("skipped: the configuration is invalid", line.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_FiftyBackendsSomeClosedSomeSilentTls_FailsExactlyThoseWellUnderFiveSeconds()
    {
        // A listener that completes TCP connects (the kernel's backlog) and never answers a TLS ClientHello.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(100);
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        var healthy = await StartAsync();
        var expectedFailures = new HashSet<string>(StringComparer.Ordinal);
        var backends = new List<BackendOptions>();
        var held = new List<ClosedLoopbackPort>();
        for (var i = 0; i < 50; i++)
        {
            var name = $"svc_{i:00}";
            switch (i % 5)
            {
                case 0:
                    var closedPort = new ClosedLoopbackPort();
                    held.Add(closedPort);
                    var closed = closedPort.Port;
                    backends.Add(Static(name, closed));
                    expectedFailures.Add($"backend '{name}' 127.0.0.1:{closed}");
                    break;
                case 1:
                    backends.Add(new BackendOptions { Name = name, Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{silentPort}"] }, Tls = new BackendTlsOptions { InsecureSkipVerify = true } });
                    expectedFailures.Add($"backend '{name}' 127.0.0.1:{silentPort}");
                    break;
                default:
                    backends.Add(Static(name, healthy.Port));
                    break;
            }
        }

        var context = CheckContexts.For(Routing([.. backends]), timeout: TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        var report = await CheckContexts.RunBackendsAsync(context);

        clock.Stop();
        held.ForEach(p => p.Dispose());
        output.WriteLine($"50 backends, 10 closed ports, 10 silent TLS listeners, --timeout=1s: {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(expectedFailures.Order(StringComparer.Ordinal), report.Results.Where(r => r.Status == CheckStatus.Fail).Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.All(report.Results.Where(r => r.Name.EndsWith($":{silentPort}", StringComparison.Ordinal)), r =>
        {
            Assert.Equal("TCP connects, but the TLS handshake got no answer within 1 s", r.Found);
            Assert.Contains("must have no Tls section in backend 'svc_", r.Fix, StringComparison.Ordinal);
        });
        Assert.Equal(30, report.Results.Count(r => r.Status == CheckStatus.Pass && r.Name.EndsWith(" endpoints", StringComparison.Ordinal)));
        // The issue's figure: 50 backends, some dead, well under 5 s (sequential probes would take 10 × 1 s).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the run took {clock.Elapsed}");
    }

    [Fact]
    public async Task For_MutualTlsBackend_ClientCertificateFromTheBackendsSettingsIsAccepted_OrItsAbsenceFails()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("kedge"), _dir.Combine("client"));
        var backend = await StartAsync(new LoopbackServerOptions
        {
            ServerCertificate = _ca.IssueServerCertificate("orders.internal.test"),
            ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthority = _ca,
        });
        var address = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] };
        var routing = Routing(
            new BackendOptions { Name = "with_cert", Static = address, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "orders.internal.test", ClientCertificateFile = clientCert, ClientKeyFile = clientKey } },
            new BackendOptions { Name = "without_cert", Static = address, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "orders.internal.test" } });

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing));

        Assert.Equal(CheckStatus.Pass, report.Line("backend 'with_cert' endpoints").Status);
        var refused = report.Line($"backend 'without_cert' 127.0.0.1:{backend.Port}");
        Assert.Equal(CheckStatus.Fail, refused.Status);
        Assert.StartsWith("the backend refused the TLS handshake", refused.Found, StringComparison.Ordinal);
        Assert.EndsWith("(kedge sent no client certificate)", refused.Found, StringComparison.Ordinal);
        Assert.Equal("give kedge a client certificate the backend accepts: Tls.ClientCertificateFile and Tls.ClientKeyFile of backend 'without_cert' in kedge.json", refused.Fix);
    }

    [Fact]
    public async Task For_GrpcBackendHttp2OnlyOverTls13WithoutClientCa_Passes()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        var backend = await StartAsync(new LoopbackServerOptions
        {
            ServerCertificate = _ca.IssueServerCertificate("greeter.internal.test"),
            Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2,
            SslProtocols = System.Security.Authentication.SslProtocols.Tls13,
        });
        var routing = new KedgeServerOptions
        {
            GrpcBackends = [new BackendOptions { Name = "greeter", Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] }, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "greeter.internal.test" } }],
        };

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing));

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Equal(CheckStatus.Pass, report.Line("gRPC backend 'greeter' endpoints").Status);
    }

    [Fact]
    public async Task For_Tls12BackendRequiringClientCertificate_KedgeWithoutOne_SaysClientCertificateRefused()
    {
        var caFile = _ca.WriteCaPem(_dir.Path);
        var backend = await StartAsync(new LoopbackServerOptions
        {
            ServerCertificate = _ca.IssueServerCertificate("orders.internal.test"),
            SslProtocols = System.Security.Authentication.SslProtocols.Tls12,
            ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthority = _ca,
        });
        var routing = Routing(new BackendOptions { Name = "orders", Static = new StaticResolverOptions { Addresses = [$"127.0.0.1:{backend.Port}"] }, Tls = new BackendTlsOptions { CaFile = caFile, ServerName = "orders.internal.test" } });

        var report = await CheckContexts.RunBackendsAsync(CheckContexts.For(routing));

        var refused = report.Line($"backend 'orders' 127.0.0.1:{backend.Port}");
        Assert.Equal(CheckStatus.Fail, refused.Status);
        Assert.StartsWith("the backend refused the TLS handshake", refused.Found, StringComparison.Ordinal);
        Assert.Contains("client certificate refused", refused.Found, StringComparison.Ordinal);
        Assert.EndsWith("(kedge sent no client certificate)", refused.Found, StringComparison.Ordinal);
        Assert.Equal("give kedge a client certificate the backend accepts: Tls.ClientCertificateFile and Tls.ClientKeyFile of backend 'orders' in kedge.json", refused.Fix);
    }
}
