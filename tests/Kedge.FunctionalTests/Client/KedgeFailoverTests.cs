using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Grpc;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Client;

/// <summary>
/// Two real kedges on loopback serving the same names, each in front of its own backends (so the backend that answers
/// says which kedge carried the call), and a Kedge.Client route that names kedge A first and kedge B as its fallback.
/// </summary>
public sealed class KedgeFailoverTests : IAsyncLifetime
{
    private const string Service = "svc.failover.kedge";
    private const string Greeter = "greeter.failover.kedge";
    private const string NoHealthy = "nohealthy.failover.kedge";
    private const int GetWorkers = 4;
    private const int PostWorkers = 2;
    private const int GrpcWorkers = 4;

    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private TestCertificateAuthority _ca = null!;
    private LoopbackServer _httpA = null!;
    private LoopbackServer _httpB = null!;
    private LoopbackServer _grpcA = null!;
    private LoopbackServer _grpcB = null!;
    private FailoverKedge _kedgeA = null!;
    private FailoverKedge _kedgeB = null!;
    private KedgeClient _client = null!;

    public async Task InitializeAsync()
    {
        _ca = TestCertificateAuthority.Create();
        _httpA = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, MapWork);
        _httpB = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, MapWork);
        _grpcA = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
        _grpcB = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);

        // Kedge A has no healthy endpoint for NoHealthy (its only address refuses connections); kedge B has one.
        _kedgeA = await FailoverKedge.StartAsync(_logs, _ca, _dir, "a", Routing(_httpA, _grpcA, noHealthyBackend: $"127.0.0.1:{ClosedPort()}"));
        _kedgeB = await FailoverKedge.StartAsync(_logs, _ca, _dir, "b", Routing(_httpB, _grpcB, noHealthyBackend: $"127.0.0.1:{_httpB.Port}"));

        var clientCert = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var options = new KedgeClientOptions
        {
            ClientCertificate = new() { CertificateFile = clientCert.CertificatePath, KeyFile = clientCert.KeyPath },
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        options.KedgeCaFiles.Add(_ca.WriteCaPem(_dir.Path));
        var route = new KedgeRouteOptions { Single = new() { Url = _kedgeA.Url.ToString() }, TlsServerName = FailoverKedge.ServerName };
        route.Single.FallbackUrls.Add(_kedgeB.Url.ToString());
        options.Routes.Add(route);
        _client = KedgeClient.Create(options, _logs);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _kedgeA.DisposeAsync();
        await _kedgeB.DisposeAsync();
        await _httpA.DisposeAsync();
        await _httpB.DisposeAsync();
        await _grpcA.DisposeAsync();
        await _grpcB.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Http_KedgeAKilledUnderLoad_NoIdempotentFailsAndTrafficReturnsToAAfterRestart()
    {
        using var http = new HttpClient(_client.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        var load = new Load();
        var workers = Enumerable.Range(0, GetWorkers).Select(_ => load.RunAsync(isIdempotent: true, () => SendAsync(http, HttpMethod.Get)))
            .Concat(Enumerable.Range(0, PostWorkers).Select(_ => load.RunAsync(isIdempotent: false, () => SendAsync(http, HttpMethod.Post))))
            .ToArray();

        await Eventually.TrueAsync(() => _httpA.RequestCount >= 50, "kedge A carries the load first");
        Assert.Equal(0, _httpB.RequestCount);

        var kill = await load.DuringAsync(_kedgeA.KillAsync);
        var servedByB = _httpB.RequestCount;
        await Eventually.TrueAsync(() => _httpB.RequestCount >= servedByB + 50, "kedge B carries the load after A is killed");

        await _kedgeA.RestartAsync();
        var servedByA = _httpA.RequestCount;
        await Eventually.TrueAsync(() => _httpA.RequestCount >= servedByA + 20, "traffic is back on kedge A within 5 s of its restart", TimeSpan.FromSeconds(5));

        load.Stop();
        await Task.WhenAll(workers);
        Assert.True(load.Succeeded(isIdempotent: true) > 0 && load.Succeeded(isIdempotent: false) > 0);
        Assert.Empty(load.Failures(isIdempotent: true));
        var failedPosts = load.Failures(isIdempotent: false);
        var inFlight = load.InFlightDuring(kill, isIdempotent: false);
        Assert.True(failedPosts.Count <= inFlight, $"{failedPosts.Count} POSTs failed ({string.Join("; ", failedPosts)}), {inFlight} were in flight at the kill");
    }

    [Fact]
    public async Task Http_KedgeAAnswersNoConnectionToAllResolvedAddresses_GetServedByBPostNotResent()
    {
        using var http = new HttpClient(_client.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };

        using var post = await http.PostAsync($"http://{NoHealthy}/orders", new StringContent("once"));
        var postsAtB = _httpB.RequestCount;
        using var get = await http.GetAsync($"http://{NoHealthy}/orders");

        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
        Assert.Equal(KedgeErrorTypes.NoConnectionToAllResolvedAddresses, post.GetKedgeError()!.Type);
        Assert.Equal(0, postsAtB);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(1, _httpB.RequestCount);
        Assert.Equal(0, _httpA.RequestCount);
    }

    [Fact]
    public async Task Grpc_BalancedChannel_CarriesTargetAuthorityThroughKedgeA()
    {
        using var channel = KedgeChannel.ForService(Greeter, _client);

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "failover" });

        Assert.Equal("Hello failover", reply.Message);
        Assert.Equal(Greeter, reply.Authority);
        Assert.Equal(1, _grpcA.RequestCount);
        Assert.Equal(0, _grpcB.RequestCount);
    }

    [Fact]
    public async Task Grpc_KedgeAKilledUnderLoad_OnlyCallsInFlightFailAndTrafficReturnsToAAfterRestart()
    {
        using var channel = KedgeChannel.ForService(Greeter, _client);
        var greeter = new Greeter.GreeterClient(channel);
        var load = new Load();
        var workers = Enumerable.Range(0, GrpcWorkers)
            .Select(_ => load.RunAsync(isIdempotent: false, async () => (await greeter.SayHelloAsync(new HelloRequest { Name = "x" })).Message == "Hello x" ? null : "wrong reply"))
            .ToArray();

        await Eventually.TrueAsync(() => _grpcA.RequestCount >= 50, "kedge A carries the calls first");
        Assert.Equal(0, _grpcB.RequestCount);

        var kill = await load.DuringAsync(_kedgeA.KillAsync);
        var servedByB = _grpcB.RequestCount;
        await Eventually.TrueAsync(() => _grpcB.RequestCount >= servedByB + 50, "kedge B carries the calls after A is killed");

        await _kedgeA.RestartAsync();
        var servedByA = _grpcA.RequestCount;
        await Eventually.TrueAsync(() => _grpcA.RequestCount >= servedByA + 20, "calls are back on kedge A within 5 s of its restart", TimeSpan.FromSeconds(5));

        load.Stop();
        await Task.WhenAll(workers);
        var failed = load.Failures(isIdempotent: false);
        var inFlight = load.InFlightDuring(kill, isIdempotent: false);
        Assert.True(failed.Count <= inFlight, $"{failed.Count} calls failed ({string.Join("; ", failed)}), {inFlight} were in flight at the kill");
    }

    private static async Task<string?> SendAsync(HttpClient http, HttpMethod method)
    {
        using var request = new HttpRequestMessage(method, $"http://{Service}/work") { Content = method == HttpMethod.Post ? new StringContent("payload") : null };
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {response.GetKedgeError()?.Type}";
    }

    /// <summary>An API answer of known length (the kind of response a resent GET can be guaranteed for; see the README).</summary>
    private static void MapWork(WebApplication app)
        => app.Map("/work", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            context.Response.ContentLength = 15;
            await context.Response.WriteAsync("{\"done\": true} ", context.RequestAborted);
        });

    private static KedgeServerOptions Routing(LoopbackServer http, LoopbackServer grpc, string noHealthyBackend) => new()
    {
        HttpRoutes =
        [
            new() { Backend = "svc", Host = Service },
            new() { Backend = "nohealthy", Host = NoHealthy },
        ],
        GrpcRoutes =
        [
            new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = Greeter },
        ],
        HttpBackends =
        [
            new() { Name = "svc", Static = new() { Addresses = [$"127.0.0.1:{http.Port}"] } },
            new() { Name = "nohealthy", Static = new() { Addresses = [noHealthyBackend] } },
        ],
        GrpcBackends =
        [
            new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{grpc.Port}"] } },
        ],
    };

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Calls in a loop per worker, recording each call's interval and outcome.</summary>
    private sealed class Load
    {
        private readonly List<(bool Idempotent, long Start, long End, string? Failure)> _calls = [];
        private volatile bool _stopped;

        public async Task RunAsync(bool isIdempotent, Func<Task<string?>> call)
        {
            while (!_stopped)
            {
                var start = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    failure = await call();
                }
                catch (Exception ex) when (ex is HttpRequestException or RpcException or TaskCanceledException)
                {
                    failure = $"{ex.GetType().Name}: {ex.Message}";
                }

                var end = Stopwatch.GetTimestamp();
                lock (_calls)
                {
                    _calls.Add((isIdempotent, start, end, failure));
                }
            }
        }

        /// <summary>Runs <paramref name="action"/> and returns the interval it took.</summary>
        public async Task<(long Start, long End)> DuringAsync(Func<Task> action)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            return (start, Stopwatch.GetTimestamp());
        }

        public void Stop() => _stopped = true;

        public int Succeeded(bool isIdempotent)
        {
            lock (_calls)
            {
                return _calls.Count(c => c.Idempotent == isIdempotent && c.Failure is null);
            }
        }

        public List<string> Failures(bool isIdempotent)
        {
            lock (_calls)
            {
                return [.. _calls.Where(c => c.Idempotent == isIdempotent && c.Failure is not null).Select(c => c.Failure!)];
            }
        }

        /// <summary>The calls that were under way at some moment of the kill.</summary>
        public int InFlightDuring((long Start, long End) kill, bool isIdempotent)
        {
            lock (_calls)
            {
                return _calls.Count(c => c.Idempotent == isIdempotent && c.Start <= kill.End && c.End >= kill.Start);
            }
        }
    }
}
