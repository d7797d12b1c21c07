using System.Diagnostics;
using Kedge.Testing;
using Kedge.Testing.Otlp;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kedge.FunctionalTests.Observability;

/// <summary>The test OTLP receiver against the real OpenTelemetry .NET OTLP exporter, over both OTLP transports.</summary>
public sealed class OtlpTraceReceiverTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private OtlpTraceReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await OtlpTraceReceiver.StartAsync(_logs);

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _logs.Dispose();
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Export_RealOtlpExporter_ReceiverKeepsIdsParentKindNamesAttributesEventsAndStatus(OtlpExportProtocol protocol)
    {
        // A source of this test's own: the provider exports nothing another test in the process starts.
        using var source = new ActivitySource($"Kedge.FunctionalTests.Otlp.{protocol}");
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("otlp-receiver-test").AddAttributes([new("deployment.environment", "test")]))
            .SetSampler(new AlwaysOnSampler())
            .AddOtlpExporter(o =>
            {
                o.Protocol = protocol;
                // Set in code, the endpoint is the full URL for http/protobuf; only the environment variable gets /v1/traces appended.
                o.Endpoint = protocol == OtlpExportProtocol.Grpc ? _receiver.GrpcEndpoint : new Uri(_receiver.HttpEndpoint, "/v1/traces");
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build();

        string traceId, parentId, childId;
        using (var parent = source.StartActivity("GET /orders", ActivityKind.Server)!)
        {
            parent.SetTag("http.request.method", "GET");
            parent.SetTag("http.response.status_code", 502);
            parent.SetTag("kedge.retry", true);
            parent.SetTag("kedge.caller.san", new[] { "caller.shop", "spiffe://cluster-a/caller" });
            parent.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["reason"] = "connect" }));
            parent.SetStatus(ActivityStatusCode.Error, "backend unreachable");
            using (var child = source.StartActivity("backend call", ActivityKind.Client)!)
            {
                childId = child.SpanId.ToHexString();
            }

            (traceId, parentId) = (parent.TraceId.ToHexString(), parent.SpanId.ToHexString());
        }

        Assert.True(provider.ForceFlush(10_000), "the exporter did not flush");
        var spans = await _receiver.WaitForSpansAsync(s => s.Count(x => x.TraceId == traceId) == 2, "both spans arrive");

        var server = Assert.Single(spans, s => s.SpanId == parentId);
        var client = Assert.Single(spans, s => s.SpanId == childId);
        Assert.True(server.IsRoot, server.ToString());
        Assert.Equal(parentId, client.ParentSpanId);
        Assert.Equal(traceId, client.TraceId);
        Assert.Equal((ActivityKind.Server, "GET /orders"), (server.Kind, server.Name));
        Assert.Equal((ActivityKind.Client, "backend call"), (client.Kind, client.Name));
        Assert.Equal("otlp-receiver-test", server.ServiceName);
        Assert.Equal("test", server.ResourceAttributes["deployment.environment"]);
        Assert.Equal(source.Name, server.ScopeName);
        Assert.Equal("GET", server.Attribute("http.request.method"));
        Assert.Equal("502", server.Attribute("http.response.status_code"));
        Assert.Equal("true", server.Attribute("kedge.retry"));
        Assert.Equal("caller.shop,spiffe://cluster-a/caller", server.Attribute("kedge.caller.san"));
        var retry = Assert.Single(server.Events);
        Assert.Equal(("retry", "connect"), (retry.Name, retry.Attributes["reason"]));
        Assert.Equal((ActivityStatusCode.Error, "backend unreachable"), (server.Status, server.StatusMessage));
        Assert.Equal(ActivityStatusCode.Unset, client.Status);
        var expectedTransport = protocol == OtlpExportProtocol.Grpc ? OtlpTraceReceiver.GrpcTransport : OtlpTraceReceiver.HttpTransport;
        Assert.All(spans, s => Assert.Equal(expectedTransport, s.Transport));
        Assert.True(protocol == OtlpExportProtocol.Grpc ? _receiver.GrpcExports > 0 && _receiver.HttpExports == 0 : _receiver.HttpExports > 0 && _receiver.GrpcExports == 0);
    }

    [Fact]
    public async Task HttpExport_JsonBody_Refused415AndNothingKept()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var response = await http.PostAsync(new Uri(_receiver.HttpEndpoint, "/v1/traces"), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(_receiver.Spans);
    }
}
