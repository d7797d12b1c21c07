using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Server;

/// <summary>The opt-in access log (<c>access_log</c>): one line per request on the proxy ports, never a secret.</summary>
public sealed class KedgeAccessLogTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task AccessLog_On_OneLineWithTheRequestsFactsAndNoSecret()
    {
        await using var kedge = await StartAsync(accessLog: true);
        var traceId = ActivityTraceId.CreateRandom();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://orders.shop.svc.cluster-b.kedge/v1/orders?token=query-secret") { Content = new StringContent("hello") };
        request.Headers.Add("X-Kedge-Request-ID", "req-42");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        request.Headers.Add("Proxy-Authorization", "Bearer proxy-secret");
        request.Headers.Add("Authorization", "Bearer auth-secret");
        request.Headers.Add("Cookie", "session=cookie-secret");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = await SingleAccessLineAsync("req-42");
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal(1500, line.EventId.Id);
        Assert.StartsWith("POST orders.shop.svc.cluster-b.kedge/v1/orders http status=200 grpc_status=- route=orders.shop.svc.cluster-b.kedge backend=orders ", line.Message, StringComparison.Ordinal);
        Assert.Contains($" endpoint=127.0.0.1:{_backend.Port} error=- retries=0 bytes_in=5 bytes_out={body.Length} duration_ms=", line.Message, StringComparison.Ordinal);
        Assert.Contains(" caller=\"CN=caller", line.Message, StringComparison.Ordinal);
        // Tracing is off here: the trace id is the caller's.
        Assert.Contains($" request_id=req-42 trace_id={traceId} time=", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("token", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_On_KedgesOwnAnswerLoggedWithErrorTypeAndCallerTextMadePrintable()
    {
        await using var kedge = await StartAsync(accessLog: true);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://nobody.shop.svc.cluster-b.kedge/a%0Ab%E2%82%AC");
        request.Headers.Add("X-Kedge-Request-ID", "req-no-route");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var line = await SingleAccessLineAsync("req-no-route");
        Assert.StartsWith("GET nobody.shop.svc.cluster-b.kedge/a?b? http status=502 grpc_status=- route=- backend=- endpoint=- error=no-route ", line.Message, StringComparison.Ordinal);
        Assert.Contains($" bytes_out={"unknown route to service".Length} ", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_On_GrpcCallsStillWorkAndLogTheirStatus()
    {
        await using var kedge = await StartAsync(accessLog: true);
        using var client = kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", client);
        var greeter = new Greeter.GreeterClient(channel);

        var unary = await greeter.SayHelloAsync(new HelloRequest { Name = "t" }, new Metadata { { "X-Kedge-Request-ID", "grpc-unary" } });
        using var chat = greeter.Chat(new Metadata { { "X-Kedge-Request-ID", "grpc-chat" } });
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "a" });
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = "b" });
        await chat.RequestStream.CompleteAsync();
        var chatted = await chat.ResponseStream.ReadAllAsync().Select(r => r.Message).ToListAsync();

        Assert.Equal("Hello t", unary.Message);
        Assert.Equal(["Hello a", "Hello b"], chatted);
        Assert.Contains(" grpc status=200 grpc_status=0 route=", (await SingleAccessLineAsync("grpc-unary")).Message, StringComparison.Ordinal);
        Assert.Contains(" grpc status=200 grpc_status=0 route=", (await SingleAccessLineAsync("grpc-chat")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLog_LogLevelError_StillWritten()
    {
        await using var kedge = await StartAsync(accessLog: true, host => host.Logging.SetMinimumLevel(LogLevel.Error));
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/");
        request.Headers.Add("X-Kedge-Request-ID", "quiet-1");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await SingleAccessLineAsync("quiet-1");
        // kedge logs its configuration at Information on every start: not at this level.
        Assert.DoesNotContain(_logs.Entries, e => e.Level == LogLevel.Information && e.Category.StartsWith("Kedge.Server.", StringComparison.Ordinal) && e.Category != KedgeServerLog.AccessLogCategory);
        Assert.Contains(_logs.Entries, e => e.Category == KedgeServerLog.AccessLogCategory);
    }

    [Fact]
    public async Task AccessLog_Off_NoLine()
    {
        await using var kedge = await StartAsync(accessLog: false);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        using var response = await http.GetAsync("http://orders.shop.svc.cluster-b.kedge/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The access line would be written when the request completes, right after it is counted (KedgeRequestTelemetry),
        // which may be just after the caller has the response: "no line" means something only once it is counted.
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        await Eventually.TrueAsync(
            async () => KedgeMetricsTests.ValueOrNull(await admin.GetStringAsync("/metrics"), "kedge_requests_total", "route=\"orders.shop.svc.cluster-b.kedge\"", "code_class=\"2xx\"") == 1,
            "kedge counts the request");
        Assert.DoesNotContain(_logs.Entries, e => e.Category == KedgeServerLog.AccessLogCategory);
    }

    [Fact]
    public async Task AccessLog_On_FloodOfFailuresLogsEveryRequestButWarningsStayRateLimited()
    {
        await using var kedge = await StartAsync(accessLog: true);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        const int requests = 3 * Kedge.Server.Observability.RateLimitedLoggerProvider.Burst;

        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://dead.shop.svc.cluster-b.kedge/");
            request.Headers.Add("X-Kedge-Request-ID", $"flood-{i}");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        await Eventually.TrueAsync(() => AccessLines().Count(e => e.Message.Contains(" request_id=flood-", StringComparison.Ordinal)) == requests, "one access line per request");
        Assert.InRange(_logs.WithEventName("ProxyError").Count(), 1, Kedge.Server.Observability.RateLimitedLoggerProvider.Burst);
    }

    [Fact]
    public async Task AccessLog_AdhocRequest_EndpointIsTheRewrittenNameAndPort()
    {
        await using var dns = new TestDnsServer();
        dns.Addresses["orders.pods.test"] = [IPAddress.Loopback];
        var port = _backend.Port;
        var routing = new KedgeServerOptions
        {
            HttpAdhocRules =
            [
                new() { DnsNameMatcher = "*.outer.test", Port = new() { Default = port, Allowed = [port] }, AllowedReservedNetworks = ["127.0.0.0/8"], DnsNameReplace = new() { Pattern = ".outer.test", Substitution = ".pods.test" } },
            ],
        };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings =>
        {
            settings.AccessLog = true;
            settings.DnsServers = [dns.EndPoint.ToString()];
        });
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.outer.test/");
        request.Headers.Add("X-Kedge-Request-ID", "adhoc-1");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($" route=_adhoc backend=_adhoc endpoint=orders.pods.test:{port} error=- ", (await SingleAccessLineAsync("adhoc-1")).Message, StringComparison.Ordinal);
    }

    private IEnumerable<LogEntry> AccessLines() => _logs.Entries.Where(e => e.Category == KedgeServerLog.AccessLogCategory);

    private async Task<LogEntry> SingleAccessLineAsync(string requestId)
    {
        await Eventually.TrueAsync(() => AccessLines().Any(e => e.Message.Contains($" request_id={requestId} ", StringComparison.Ordinal)), $"kedge logs request {requestId}");
        return Assert.Single(AccessLines(), e => e.Message.Contains($" request_id={requestId} ", StringComparison.Ordinal));
    }

    private Task<KedgeServerFixture> StartAsync(bool accessLog, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configureHost = null) => KedgeServerFixture.StartAsync(
        _logs,
        new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" },
                new() { Backend = "dead", Host = "dead.shop.svc.cluster-b.kedge" },
            ],
            GrpcRoutes = [new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = "greeter.shop.svc.cluster-b.kedge" }],
            HttpBackends =
            [
                new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } },
                new() { Name = "dead", Static = new() { Addresses = [$"127.0.0.1:{KedgeServerProxyTests.ClosedPort()}"] } },
            ],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        },
        settings =>
        {
            settings.AccessLog = accessLog;
            settings.FailedTargetBackoff = TimeSpan.Zero; // every request tries the dead endpoint, and warns
        },
        configureHost: configureHost);
}
