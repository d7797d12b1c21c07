using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.Server.Configuration;
using Kedge.Server.Observability;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// kedge's server span, in-process, with the real OTLP wiring (exporting to a loopback sink) plus a processor that keeps
/// the ended spans. A TracerProvider listens to the <c>Kedge.Server</c> source of the whole process, so it also sees the
/// spans of kedges other tests run at the same time: every test here sends its own trace id (or learns the one kedge
/// started from the backend) and reads only that trace's spans. The class runs alone (<see cref="ProcessWideListeners"/>):
/// its provider turns spans and traceparent rewriting on for every in-process kedge, and its sampler and pass-through
/// tests assume nothing else listens to <c>Kedge.Server</c>.
/// </summary>
[Collection(ProcessWideListeners.Name)]
public sealed class KedgeTracingTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly SpanCollector _spans = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;
    private LoopbackServer _otlpSink = null!;
    private int _exports;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
        _otlpSink = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app => app.MapPost("/v1/traces", () =>
        {
            Interlocked.Increment(ref _exports);
            return Microsoft.AspNetCore.Http.Results.Ok();
        }));
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        await _otlpSink.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Http_CallerTraceContext_ServerSpanContinuesItAndBackendIsItsChild()
    {
        await using var kedge = await StartTracingKedgeAsync();
        var (traceId, callerSpan) = (ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/v1/orders?token=query-secret");
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
        request.Headers.Add("tracestate", "vendor=abc");
        request.Headers.Add("baggage", "tenant=blue");
        request.Headers.Add("Proxy-Authorization", "Bearer header-secret");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var span = await _spans.ServerSpanAsync(traceId);
        Assert.Equal(callerSpan, span.ParentSpanId);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(KedgeTracing.SourceName, span.Source.Name);
        Assert.Single(_spans.All, s => s.TraceId == traceId); // one server span: ASP.NET Core's hosting activity stays off
        Assert.Equal("GET orders.shop.svc.cluster-b.kedge", span.DisplayName);
        Assert.Equal("orders.shop.svc.cluster-b.kedge", span.GetTagItem("kedge.route"));
        Assert.Equal("orders", span.GetTagItem("kedge.backend"));
        Assert.Equal($"127.0.0.1:{_backend.Port}", span.GetTagItem("kedge.endpoint"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal("/v1/orders", span.GetTagItem("url.path"));
        Assert.Equal("orders.shop.svc.cluster-b.kedge", span.GetTagItem("server.address"));
        Assert.Contains("CN=caller", (string)span.GetTagItem("kedge.caller.subject")!, StringComparison.Ordinal);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Equal("kedge", _spans.ServiceName);
        // Never a secret on the span: no header values, no query.
        Assert.DoesNotContain(span.TagObjects, t => t.Value?.ToString()?.Contains("secret", StringComparison.Ordinal) == true);

        // The backend continues kedge's trace as the child of kedge's span, with the caller's state and baggage.
        Assert.True(ActivityContext.TryParse(echo!.Headers["traceparent"], echo.Headers["tracestate"], out var sent));
        Assert.Equal(traceId, sent.TraceId);
        Assert.Equal(span.SpanId, sent.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, sent.TraceFlags);
        Assert.Equal("vendor=abc", echo.Headers["tracestate"]);
        Assert.Equal("tenant=blue", echo.Headers["baggage"].Replace(" ", string.Empty, StringComparison.Ordinal));
        Assert.Equal("blue", span.GetBaggageItem("tenant"));
        await Eventually.TrueAsync(() => Volatile.Read(ref _exports) > 0, "kedge exports over OTLP to the configured endpoint");
    }

    [Fact]
    public async Task Http_NoCallerTraceContext_KedgeStartsTraceTheBackendContinues()
    {
        await using var kedge = await StartTracingKedgeAsync();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.kedge/fresh", LoopbackServer.JsonOptions);

        Assert.True(ActivityContext.TryParse(echo!.Headers["traceparent"], null, out var sent));
        var span = await _spans.ServerSpanAsync(sent.TraceId);
        Assert.Equal(default, span.ParentSpanId);
        Assert.Equal("/fresh", span.GetTagItem("url.path"));
    }

    [Fact]
    public async Task Http_ConnectFailure_RetryAndEjectionAreSpanEventsAndEndpointIsTheOneThatAnswered()
    {
        await using var kedge = await StartTracingKedgeAsync();
        var traceId = ActivityTraceId.CreateRandom();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = TracedGet("http://flaky.shop.svc.cluster-b.kedge/", traceId);

        // The first pick of a new backend is its first endpoint: the dead one.
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var span = await _spans.ServerSpanAsync(traceId);
        Assert.Equal($"127.0.0.1:{_backend.Port}", span.GetTagItem("kedge.endpoint"));
        Assert.Equal(1, span.GetTagItem("kedge.retries"));
        var ejected = Assert.Single(span.Events, e => e.Name == "kedge.endpoint.ejected");
        Assert.Equal($"127.0.0.1:{_deadPort}", ejected.Tags.Single(t => t.Key == "kedge.endpoint").Value);
        var retry = Assert.Single(span.Events, e => e.Name == "kedge.retry");
        Assert.Equal("connect", retry.Tags.Single(t => t.Key == "kedge.retry.reason").Value);
        Assert.Equal($"127.0.0.1:{_backend.Port}", retry.Tags.Single(t => t.Key == "kedge.endpoint").Value);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
    }

    [Fact]
    public async Task Http_NoRoute_SpanIsErrorWithKedgeErrorType()
    {
        await using var kedge = await StartTracingKedgeAsync();
        var traceId = ActivityTraceId.CreateRandom();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = TracedGet("http://nobody.shop.svc.cluster-b.kedge/", traceId);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var span = await _spans.ServerSpanAsync(traceId);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("no-route", span.GetTagItem("error.type"));
        Assert.Equal(502, span.GetTagItem("http.response.status_code"));
        Assert.Null(span.GetTagItem("kedge.route"));
    }

    [Fact]
    public async Task Grpc_Calls_SpanCarriesGrpcStatusFromTrailersOrKedgesOwnAnswer()
    {
        await using var kedge = await StartTracingKedgeAsync();
        using var client = kedge.CreateClient(_logs);
        var okTrace = ActivityTraceId.CreateRandom();
        var failedTrace = ActivityTraceId.CreateRandom();

        using (var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge", client))
        {
            var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "t" }, TraceHeaders(okTrace));
            Assert.Equal("Hello t", reply.Message);
        }

        using (var channel = KedgeChannel.ForService("dead.shop.svc.cluster-b.kedge", client))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest(), TraceHeaders(failedTrace)).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.Unavailable, ex.StatusCode);
        }

        var ok = await _spans.ServerSpanAsync(okTrace);
        Assert.Equal("grpc", ok.GetTagItem("rpc.system"));
        Assert.Equal("kedge.testing.Greeter", ok.GetTagItem("rpc.service"));
        Assert.Equal("SayHello", ok.GetTagItem("rpc.method"));
        Assert.Equal(0, ok.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, ok.Status);

        var failed = await _spans.ServerSpanAsync(failedTrace);
        Assert.Equal((int)Grpc.Core.StatusCode.Unavailable, failed.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal("no-connection-to-all-resolved-addresses", failed.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
    }

    [Fact]
    public async Task Tracing_OtelServiceNameAndResourceAttributes_NameTheService()
    {
        await using var kedge = await StartTracingKedgeAsync(new()
        {
            ["OTEL_SERVICE_NAME"] = "edge-b",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=test",
        });
        var traceId = ActivityTraceId.CreateRandom();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = TracedGet("http://orders.shop.svc.cluster-b.kedge/", traceId);

        using var response = await http.SendAsync(request);

        await _spans.ServerSpanAsync(traceId);
        Assert.Equal("edge-b", _spans.ServiceName);
        Assert.Equal("test", _spans.Resource!.Attributes.Single(a => a.Key == "deployment.environment").Value);
    }

    [Fact]
    public async Task Tracing_OtelTracesSamplerRatioZero_CallersSampledTraceNotRecorded()
    {
        await using var kedge = await StartTracingKedgeAsync(new()
        {
            ["OTEL_TRACES_SAMPLER"] = "traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0",
        });
        var traceId = ActivityTraceId.CreateRandom();
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = TracedGet("http://orders.shop.svc.cluster-b.kedge/", traceId);

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        // traceidratio (not parent-based) overrides the caller's "sampled": kedge's span is not recorded, and the backend
        // is told so (flags 00) in the same trace, where the default sampler would have passed on "sampled".
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(ActivityContext.TryParse(echo!.Headers["traceparent"], null, out var sent));
        Assert.Equal(traceId, sent.TraceId);
        Assert.Equal(ActivityTraceFlags.None, sent.TraceFlags);
        Assert.DoesNotContain(_spans.All, s => s.TraceId == traceId);
    }

    [Fact]
    public async Task Http_TracingOff_TraceHeadersPassThroughUntouched()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        var traceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/");
        request.Headers.Add("traceparent", traceParent);
        request.Headers.Add("tracestate", "vendor=abc");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(traceParent, echo!.Headers["traceparent"]);
        Assert.Equal("vendor=abc", echo.Headers["tracestate"]);
    }

    private static Metadata TraceHeaders(ActivityTraceId traceId) => new() { { "traceparent", CallerTraceParent(traceId) } };

    /// <summary>A GET carrying a caller's sampled traceparent in the given trace.</summary>
    private static HttpRequestMessage TracedGet(string url, ActivityTraceId traceId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("traceparent", CallerTraceParent(traceId));
        return request;
    }

    private static string CallerTraceParent(ActivityTraceId traceId) => $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";

    private readonly int _deadPort = KedgeServerProxyTests.ClosedPort();

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes =
        [
            new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" },
            new() { Backend = "with_dead", Host = "flaky.shop.svc.cluster-b.kedge" },
        ],
        GrpcRoutes =
        [
            new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = "greeter.shop.svc.cluster-b.kedge" },
            new() { Backend = "dead_greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = "dead.shop.svc.cluster-b.kedge" },
        ],
        HttpBackends =
        [
            new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } },
            new() { Name = "with_dead", Static = new() { Addresses = [$"127.0.0.1:{_deadPort}", $"127.0.0.1:{_backend.Port}"] } },
        ],
        GrpcBackends =
        [
            new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } },
            new() { Name = "dead_greeter", Static = new() { Addresses = [$"127.0.0.1:{_deadPort}"] } },
        ],
    };

    private Task<KedgeServerFixture> StartTracingKedgeAsync(Dictionary<string, string?>? configuration = null)
        => KedgeServerFixture.StartAsync(
            _logs,
            Routing(),
            settings => settings.OtlpEndpoint = $"http://127.0.0.1:{_otlpSink.Port}",
            configureHost: builder =>
            {
                builder.Configuration.AddInMemoryCollection([new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), .. configuration ?? []]);
                builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(_spans));
            });

    /// <summary>Keeps every span the provider ends, and the provider's service.name.</summary>
    private sealed class SpanCollector : BaseProcessor<Activity>
    {
        private readonly ConcurrentQueue<Activity> _ended = new();

        public IEnumerable<Activity> All => _ended;

        public Resource? Resource { get; private set; }

        public string? ServiceName => Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name").Value as string;

        public override void OnEnd(Activity data)
        {
            Resource ??= ParentProvider?.GetResource();
            _ended.Enqueue(data);
        }

        public async Task<Activity> ServerSpanAsync(ActivityTraceId traceId)
        {
            Activity? span = null;
            await Eventually.TrueAsync(() => (span = _ended.FirstOrDefault(s => s.TraceId == traceId && s.Source.Name == KedgeTracing.SourceName)) is not null, $"kedge ends a span of trace {traceId}");
            return span!;
        }
    }
}
