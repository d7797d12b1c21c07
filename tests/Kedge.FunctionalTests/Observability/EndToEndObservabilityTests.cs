using System.Diagnostics;
using System.Net;
using Kedge.Client;
using Kedge.Client.Grpc;
using Kedge.Client.Mapping;
using Kedge.FunctionalTests.Server;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Testing.Otlp;
using Kedge.Testing.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kedge.FunctionalTests.Observability;

/// <summary>
/// A .NET caller using Kedge.Client → the built winch → the built kedge → a backend: one trace with the right parent
/// at every hop, exported over OTLP by every process to one receiver; and promtool accepts both products' /metrics.
/// </summary>
/// <remarks>
/// The caller reaches winch the way a pod with a local winch sidecar would: Kedge.Client with a <c>Single</c> mapper
/// whose kedge URL is winch's plain-text gRPC listener, and <c>KedgeChannel.ForService</c>
/// for the target. Kedge.Client then sends the call with the target as <c>:authority</c>, which is what winch's gRPC
/// proxy maps; winch's HTTP listener is a forward proxy for absolute-form requests, which Kedge.Client does not send.
/// </remarks>
[Collection(ProcessWideListeners.Name)]
public sealed class EndToEndObservabilityTests(KedgeWinchProcesses processes) : IClassFixture<KedgeWinchProcesses>
{
    private const string CallerService = "e2e-caller";

    private const string KedgeClientSource = KedgeClientDiagnostics.ActivitySourceName;

    private static readonly ActivitySource CallerSource = new("Kedge.FunctionalTests.EndToEndCaller");

    [Fact]
    public async Task Trace_KedgeClientThroughWinchAndKedgeToBackend_OneTraceWithTheRightParentAtEveryHop()
    {
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(CallerSource.Name, KedgeClientSource)
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(CallerService))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = processes.Receiver.GrpcEndpoint;
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build();
        using var kedge = KedgeClient.Create(new Kedge.Client.Configuration.KedgeClientOptions { Mapper = KedgeMapper.Single(processes.WinchGrpcUrl) }, processes.Logs);
        using var channel = KedgeChannel.ForService(KedgeWinchProcesses.GrpcTarget, kedge);
        var greeter = new Greeter.GreeterClient(channel);

        string traceId, rootId;
        HelloReply reply;
        using (var root = CallerSource.StartActivity("checkout", ActivityKind.Internal)!)
        {
            (traceId, rootId) = (root.TraceId.ToHexString(), root.SpanId.ToHexString());
            reply = await greeter.SayHelloAsync(new HelloRequest { Name = "trace" });
        }

        Assert.Equal("Hello trace", reply.Message);
        Assert.True(provider.ForceFlush(10_000), "the caller's exporter did not flush");
        var backendTraceparent = Assert.Single(processes.GrpcBackendRequests, r => r.Path == "/kedge.testing.Greeter/SayHello" && r.Traceparent?.Contains(traceId, StringComparison.Ordinal) == true).Traceparent!;
        var backendParentId = backendTraceparent.Split('-')[2];

        // Spans arrive in batches from three processes: wait until the backend's parent links up to the caller's root.
        var spans = await processes.Receiver.WaitForSpansAsync(
            all => Ancestry(all.Where(s => s.TraceId == traceId).ToArray(), backendParentId) is { } chain && chain[^1].SpanId == rootId,
            $"every span from the backend's parent ({backendParentId}) up to the caller's root arrives in trace {traceId}",
            TimeSpan.FromSeconds(60));
        var trace = spans.Where(s => s.TraceId == traceId).ToArray();
        var chain = Ancestry(trace, backendParentId)!;
        var why = $"backend traceparent {backendTraceparent}; chain backend parent → root:\n{OtlpTraceReceiver.Describe(chain)}\nwhole trace:\n{OtlpTraceReceiver.Describe(trace)}\n{processes.Output}";

        // One trace: a single root (the caller's), and every other span's parent is in the same trace.
        Assert.True(trace.Count(s => s.IsRoot) == 1, why);
        Assert.True(trace.All(s => s.IsRoot || trace.Any(p => p.SpanId == s.ParentSpanId)), why);

        // Hop by hop, from the backend up: kedge's outgoing span, kedge's server span, winch, then the caller.
        Assert.Equal(["kedge", "winch", CallerService], Collapse(chain.Select(s => s.ServiceName)));
        var kedgeServer = chain.Last(s => s.ServiceName == "kedge");

        // kedge's server span itself (one span per hop, Envoy's default) or an outgoing (Client) span below it.
        Assert.True(chain[0] == kedgeServer || chain[0].Kind == ActivityKind.Client, "the backend's parent is kedge's server span or its outgoing span\n" + why);
        var winchServer = chain.Last(s => s.ServiceName == "winch");
        var winchOutgoing = chain.First(s => s.ServiceName == "winch");
        var callerOutgoing = chain.First(s => s.ServiceName == CallerService);
        Assert.True(kedgeServer is { Kind: ActivityKind.Server, ScopeName: "Kedge.Server" }, "kedge's topmost span is its server span\n" + why);
        Assert.True(winchOutgoing.Kind == ActivityKind.Client, "kedge's server span is parented to winch's outgoing span\n" + why);
        Assert.True(winchServer is { Kind: ActivityKind.Server, ScopeName: "Kedge.Winch" }, "winch's topmost span is its server span\n" + why);
        Assert.True(callerOutgoing is { Kind: ActivityKind.Client, ScopeName: KedgeClientSource }, "winch's server span is parented to the caller's Kedge.Client span\n" + why);
        Assert.Equal(rootId, callerOutgoing.ParentSpanId);

        // What each hop knew: the caller's and winch's target, the backend kedge chose and the caller winch proved to be.
        Assert.Equal(KedgeWinchProcesses.GrpcTarget, callerOutgoing.Attribute("kedge.target"));
        Assert.Equal(KedgeWinchProcesses.GrpcTarget, winchServer.Attribute("kedge.target"));
        Assert.Equal("greeter", kedgeServer.Attribute("kedge.backend"));
        Assert.Equal("CN=winch", kedgeServer.Attribute("kedge.caller.subject"));
    }

    [Theory]
    [InlineData("kedge", "kedge_requests_total{", "kedge_request_duration_seconds_bucket{")]
    [InlineData("winch", "winch_http_requests_total{", "winch_grpc_calls_total{")]
    public async Task Metrics_ProcessAfterHttpGrpcAndErrorTraffic_PromtoolCheckPasses(string product, string family, string otherFamily)
    {
        var rounds = await SendTrafficAsync();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var metrics = new Uri(product == "kedge" ? processes.KedgeAdminUrl : processes.WinchHttpUrl, "/metrics");

        // Both count a request once its response is done, which may be just after the caller has it: wait until every
        // request so far is counted. HTTP is only sent here; the trace test may add a gRPC call.
        var exposition = await Eventually.ValueAsync(
            () => client.GetStringAsync(metrics),
            m => product == "kedge"
                ? KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", $"route=\"{KedgeWinchProcesses.HttpTarget}\"", "code_class=\"2xx\"") == rounds
                    && KedgeMetricsTests.ValueOrNull(m, "kedge_request_duration_seconds_count", $"route=\"{KedgeWinchProcesses.HttpTarget}\"") == rounds
                    && KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", "route=\"\"", "protocol=\"http\"", "code_class=\"5xx\"") == rounds
                    && KedgeMetricsTests.ValueOrNull(m, "kedge_requests_total", "protocol=\"grpc\"", "code_class=\"2xx\"") >= rounds
                : KedgeMetricsTests.ValueOrNull(m, "winch_http_requests_total", "via=\"kedge\"", "code=\"200\"") == rounds
                    && KedgeMetricsTests.ValueOrNull(m, "winch_http_requests_total", "via=\"kedge\"", "code=\"502\"") == rounds
                    && KedgeMetricsTests.ValueOrNull(m, "winch_http_request_duration_seconds_count", "via=\"kedge\"") == 2 * rounds
                    && KedgeMetricsTests.ValueOrNull(m, "winch_grpc_calls_total", "outcome=\"kedge\"") >= rounds,
            $"{product} has counted the {rounds} round(s) of traffic sent so far");
        var result = await Promtool.CheckMetricsAsync(exposition);

        Assert.True(result.Passed, $"{result}\n--- {product} /metrics ---\n{exposition}");

        // An empty exposition passes promtool too: the traffic's series must be there.
        Assert.Contains(family, exposition, StringComparison.Ordinal);
        Assert.Contains(otherFamily, exposition, StringComparison.Ordinal);
    }

    /// <summary>
    /// HTTP through winch's proxy (a routed call and one kedge refuses) and a gRPC call through winch, so every family
    /// has series; returns how many rounds of this traffic the processes have had.
    /// </summary>
    private async Task<int> SendTrafficAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(processes.WinchHttpUrl), UseProxy = true });
        using (var ok = await http.GetAsync($"http://{KedgeWinchProcesses.HttpTarget}/v1/orders"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var refused = await http.GetAsync("http://unknown.shop.svc.cluster-b.kedge/"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        }

        using var kedge = KedgeClient.Create(new Kedge.Client.Configuration.KedgeClientOptions { Mapper = KedgeMapper.Single(processes.WinchGrpcUrl) }, processes.Logs);
        using var channel = KedgeChannel.ForService(KedgeWinchProcesses.GrpcTarget, kedge);
        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "metrics" });
        Assert.Equal("Hello metrics", reply.Message);
        return processes.CountTrafficRound();
    }

    /// <summary>The span named <paramref name="spanId"/> and its ancestors up to a root; null while a link is missing.</summary>
    private static List<ReceivedSpan>? Ancestry(IReadOnlyList<ReceivedSpan> trace, string spanId)
    {
        var chain = new List<ReceivedSpan>();
        var current = trace.FirstOrDefault(s => s.SpanId == spanId);
        while (current is not null && chain.Count <= trace.Count)
        {
            chain.Add(current);
            if (current.IsRoot)
            {
                return chain;
            }

            var parentId = current.ParentSpanId;
            current = trace.FirstOrDefault(s => s.SpanId == parentId);
        }

        return null;
    }

    /// <summary>Consecutive duplicates removed: the order in which the services appear along the chain.</summary>
    private static List<string> Collapse(IEnumerable<string> services)
    {
        var result = new List<string>();
        foreach (var service in services)
        {
            if (result.Count == 0 || result[^1] != service)
            {
                result.Add(service);
            }
        }

        return result;
    }
}
