using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Client;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Winch.Tests.Infrastructure;
using Kedge.Winch.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.Winch.Tests.Tracing;

[Collection(ProcessWideListeners.Name)]
public sealed class WinchTracingTests : IAsyncLifetime
{
    private const string Mapper = """
        {"routes": [
          {"direct": {"key": "orders.shop.svc.cluster-b.internal:8080", "url": "{KEDGE}"}, "protocol": "HTTP"},
          {"direct": {"key": "greeter.cluster-b.internal:8081", "url": "{KEDGE}"}, "protocol": "GRPC"}
        ]}
        """;

    private const string CallerTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpanId = "b7ad6b7169203331";
    private const string CallerTraceparent = "00-" + CallerTraceId + "-" + CallerSpanId + "-01";

    private readonly TestLogSink _logs = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener? _listener;
    private WinchTestEnvironment? _env;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        if (_env is not null)
        {
            await _env.DisposeAsync();
        }

        _logs.Dispose();
    }

    [Fact]
    public async Task HttpProxy_CallerTraceparent_WinchSpanContinuesItAndIsKedgesParent()
    {
        Listen(WinchTracing.SourceName);
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper);

        var echo = await SendThroughWinchAsync();

        var span = await StoppedSpanAsync(WinchTracing.SourceName);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(CallerTraceId, span.TraceId.ToHexString());
        Assert.Equal(CallerSpanId, span.ParentSpanId.ToHexString());
        Assert.Equal("orders.shop.svc.cluster-b.internal:8080", span.GetTagItem("kedge.target"));
        Assert.Equal(_env.KedgeUrl, span.GetTagItem("kedge.url"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Matches($"^00-{CallerTraceId}-{span.SpanId}-[0-9a-f]{{2}}$", Assert.Single(echo.Headers, h => h.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)).Value);
    }

    [Fact]
    public async Task HttpProxy_WinchAndClientSampled_KedgesParentIsTheClientSpanUnderWinchsSpan()
    {
        Listen(WinchTracing.SourceName, KedgeClientDiagnostics.ActivitySourceName);
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper);

        var echo = await SendThroughWinchAsync();

        var server = await StoppedSpanAsync(WinchTracing.SourceName);
        var client = await StoppedSpanAsync(KedgeClientDiagnostics.ActivitySourceName);
        Assert.Equal(server.SpanId, client.ParentSpanId);
        Assert.Equal(CallerTraceId, client.TraceId.ToHexString());
        Assert.Equal("direct mapper 'orders.shop.svc.cluster-b.internal:8080'", client.GetTagItem("kedge.mapping_rule"));
        Assert.Matches($"^00-{CallerTraceId}-{client.SpanId}-[0-9a-f]{{2}}$", echo.Headers["traceparent"]);
    }

    [Fact]
    public async Task HttpProxy_NoTracing_CallersTraceparentPassesThroughUnchanged()
    {
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper);

        var echo = await SendThroughWinchAsync();

        Assert.Equal(CallerTraceparent, echo.Headers["traceparent"]);
    }

    [Fact]
    public async Task GrpcProxy_CallerTraceparent_WinchSpanWithRpcTagsInTheCallersTrace()
    {
        Listen(WinchTracing.SourceName);
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper);
        using var channel = GrpcChannel.ForAddress(_env.WinchGrpcAddress, new GrpcChannelOptions { HttpHandler = new AuthorityHandler("greeter.cluster-b.internal:8081", new SocketsHttpHandler()) });

        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "t" }, new Metadata { { "traceparent", CallerTraceparent } });

        Assert.Equal("Hello t", reply.Message);
        var span = await StoppedSpanAsync(WinchTracing.SourceName);
        Assert.Equal(CallerTraceId, span.TraceId.ToHexString());
        Assert.Equal(CallerSpanId, span.ParentSpanId.ToHexString());
        Assert.Equal("kedge.testing.Greeter/SayHello", span.DisplayName);
        Assert.Equal("grpc", span.GetTagItem("rpc.system"));
        Assert.Equal("SayHello", span.GetTagItem("rpc.method"));
        Assert.Equal(0, span.GetTagItem("rpc.grpc.status_code"));
    }

    [Theory]
    [InlineData(null, "winch")]
    [InlineData("orders-dev-winch", "orders-dev-winch")]
    public async Task OtlpEndpointInConfiguration_ExportsTheCallersTraceWithServiceName(string? otelServiceName, string expectedServiceName)
    {
        var exports = new ConcurrentQueue<byte[]>();
        await using var receiver = await LoopbackServer.StartAsync(
            new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 },
            _logs,
            app => app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                exports.Enqueue(body.ToArray());
                return Results.Empty;
            }));
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper, configureHost: builder =>
        {
            // The OTEL_* settings as the environment would give them, without changing this process's environment.
            builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.BaseAddress.ToString().TrimEnd('/');
            builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            builder.Configuration["OTEL_BSP_SCHEDULE_DELAY"] = "100";
            if (otelServiceName is not null)
            {
                builder.Configuration["OTEL_SERVICE_NAME"] = otelServiceName;
            }
        });

        await SendThroughWinchAsync();

        // OTLP protobuf: KeyValue{key "service.name", value AnyValue{string_value}}; the trace id as 16 raw bytes.
        byte[] serviceName = [0x0A, 0x0C, .. "service.name"u8, 0x12, (byte)(expectedServiceName.Length + 2), 0x0A, (byte)expectedServiceName.Length, .. Encoding.ASCII.GetBytes(expectedServiceName)];
        var traceId = Convert.FromHexString(CallerTraceId);
        await Eventually.TrueAsync(
            () => exports.Any(e => e.AsSpan().IndexOf(serviceName) >= 0 && e.AsSpan().IndexOf(traceId) >= 0 && e.AsSpan().IndexOf("Kedge.Winch"u8) >= 0),
            "winch exports its span of the caller's trace over OTLP/HTTP");
    }

    [Fact]
    public async Task OtlpEndpointFlag_ExportsWithoutAnyOtelVariable()
    {
        var exports = new ConcurrentQueue<byte[]>();
        await using var receiver = await LoopbackServer.StartAsync(
            new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 },
            _logs,
            app => app.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", async (HttpContext context) =>
            {
                // Enough of an OTLP/gRPC receiver for the exporter: read the call, answer OK with an empty message.
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                exports.Enqueue(body.ToArray());
                context.Response.ContentType = "application/grpc";
                context.Response.AppendTrailer("grpc-status", "0");
                await context.Response.Body.WriteAsync(new byte[5]);
            }));
        _env = await WinchTestEnvironment.StartAsync(
            _logs,
            Mapper,
            extraFlags: ["--otlp_endpoint=" + receiver.BaseAddress.ToString().TrimEnd('/')],
            configureHost: builder => builder.Configuration["OTEL_BSP_SCHEDULE_DELAY"] = "100");

        await SendThroughWinchAsync();

        var traceId = Convert.FromHexString(CallerTraceId);
        await Eventually.TrueAsync(
            () => exports.Any(e => e.AsSpan().IndexOf(traceId) >= 0 && e.AsSpan().IndexOf("Kedge.Winch"u8) >= 0),
            "winch exports over OTLP/gRPC (the default protocol) to --otlp_endpoint");
    }

    [Fact]
    public async Task OtelTracesSamplerAlwaysOff_KedgeReceivesTheTraceNotSampled()
    {
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper, configureHost: builder =>
        {
            // Nothing listens there: a sampled-out trace exports nothing.
            builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
            builder.Configuration["OTEL_TRACES_SAMPLER"] = "always_off";
        });

        var echo = await SendThroughWinchAsync();

        // The caller said sampled (-01); the sampler the SDK read from OTEL_TRACES_SAMPLER said no, and kedge is told so.
        Assert.Matches($"^00-{CallerTraceId}-[0-9a-f]{{16}}-00$", echo.Headers["traceparent"]);
    }

    private async Task<EchoReport> SendThroughWinchAsync()
    {
        using var client = _env!.CreateProxiedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.internal:8080/v1/orders");
        request.Headers.TryAddWithoutValidation("traceparent", CallerTraceparent);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions))!;
    }

    /// <summary>
    /// The one span of <paramref name="source"/>, once it has ended: winch's server span ends when its proxy method
    /// returns, which may be just after the caller has the response.
    /// </summary>
    private async Task<Activity> StoppedSpanAsync(string source)
    {
        await Eventually.TrueAsync(() => _stopped.Any(a => a.Source.Name == source), $"a span of {source} ends");
        return Assert.Single(_stopped, a => a.Source.Name == source);
    }

    private void Listen(params string[] sources)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }
}
