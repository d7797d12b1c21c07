using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Kedge.Client.Grpc;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Server;

/// <summary>kedge's /metrics on the admin port: the metric contract of the server README, eviction and bounded labels.</summary>
public sealed partial class KedgeMetricsTests : IAsyncLifetime
{
    // Exported by winch (its own tests), or only after an event this test does not cause (a retry).
    // Tunnel series: KedgeTunnelTests checks them against the contract after a tunnel.
    private static readonly string[] NotFromThisTraffic = ["winch_", "kedge_client_", "kedge_backend_retries_total", "kedge_tunnel"];

    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes = [new() { Backend = "web", Host = "web.kedge" }, new() { Backend = "api", Host = "api.kedge" }],
        GrpcRoutes = [new() { Backend = "greeter" }],
        HttpBackends =
        [
            new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } },
            new() { Name = "api", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } },
        ],
        GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
    };

    [Fact]
    public async Task Metrics_HttpAndGrpcThroughRoutes_ContractFamiliesExported()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "metrics" });
        Assert.Equal(HttpStatusCode.BadGateway, (await http.GetAsync("http://nothing.kedge/")).StatusCode);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        // A request is counted once its response is done, which may be just after the caller has it.
        var metrics = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => ValueOrNull(m, "grpc_server_handled_total", "grpc_code=\"OK\"") == 1 && ValueOrNull(m, "kedge_request_duration_seconds_count", "route=\"web.kedge\"") == 1
                && ValueOrNull(m, "kedge_requests_total", "route=\"\"", "protocol=\"http\"") == 1,
            "the three requests are counted");

        // A real histogram: buckets, sum and count, so histogram_quantile() works.
        Assert.Equal(1, Value(metrics, "kedge_request_duration_seconds_bucket", "route=\"web.kedge\"", "backend_name=\"web\"", "protocol=\"http\"", "le=\"+Inf\""));
        Assert.Equal(1, Value(metrics, "kedge_request_duration_seconds_bucket", "route=\"web.kedge\"", "backend_name=\"web\"", "le=\"10\""));
        Assert.Equal(1, Value(metrics, "kedge_request_duration_seconds_count", "route=\"web.kedge\"", "backend_name=\"web\""));
        Assert.True(Value(metrics, "kedge_request_duration_seconds_sum", "route=\"web.kedge\"", "backend_name=\"web\"") > 0);
        Assert.DoesNotContain("kedge_request_duration_bucket_total", metrics, StringComparison.Ordinal);
        Assert.Equal(1, Value(metrics, "kedge_requests_total", "route=\"web.kedge\"", "backend_name=\"web\"", "protocol=\"http\"", "code_class=\"2xx\""));
        Assert.Equal(1, Value(metrics, "kedge_requests_total", "route=\"*\"", "backend_name=\"greeter\"", "protocol=\"grpc\"", "code_class=\"2xx\""));
        // A refusal: no route, no backend.
        Assert.Equal(1, Value(metrics, "kedge_requests_total", "route=\"\"", "backend_name=\"\"", "protocol=\"http\"", "code_class=\"5xx\""));
        Assert.Equal(1, Value(metrics, "kedge_proxy_errors_total", "backend_name=\"\"", "type=\"no-route\""));

        // Go kedge's families, labelled by backend and with bounded values.
        Assert.Equal(1, Value(metrics, "http_handler_started_requests_total", "name=\"proxy\"", "handler=\"web\"", "host=\"\"", "path=\"\"", "method=\"GET\""));
        Assert.Equal(1, Value(metrics, "http_handler_completed_requests_total", "name=\"proxy\"", "handler=\"web\"", "method=\"GET\"", "status=\"200\""));
        Assert.Equal(1, Value(metrics, "grpc_server_started_total", "grpc_type=\"bidi_stream\"", "grpc_service=\"kedge.testing.Greeter\"", "grpc_method=\"SayHello\""));
        Assert.Equal(1, Value(metrics, "grpc_server_handled_total", "grpc_type=\"bidi_stream\"", "grpc_service=\"kedge.testing.Greeter\"", "grpc_method=\"SayHello\"", "grpc_code=\"OK\""));

        // OpenTelemetry semantic conventions alongside, with the kedge route as http_route.
        Assert.Equal(1, Value(metrics, "http_server_request_duration_seconds_count", "http_request_method=\"GET\"", "http_response_status_code=\"200\"", "http_route=\"web.kedge\"", "error_type=\"\""));
        Assert.Equal(1, Value(metrics, "http_server_request_duration_seconds_count", "http_request_method=\"POST\"", "network_protocol_version=\"2\"", "http_route=\"*\""));
        Assert.Equal(1, Value(metrics, "http_server_request_duration_seconds_count", "http_response_status_code=\"502\"", "http_route=\"\"", "error_type=\"no-route\""));

        // Endpoints, reloads, certificates.
        Assert.Equal(1, Value(metrics, "kedge_backend_endpoints", "backend_name=\"web\"", "state=\"healthy\""));
        Assert.Equal(0, Value(metrics, "kedge_backend_endpoints", "backend_name=\"web\"", "state=\"ejected\""));
        Assert.Equal(1, Value(metrics, "kedge_config_reloads_total", "result=\"success\""));
        Assert.InRange(Value(metrics, "kedge_config_last_reload_success_timestamp_seconds"), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        using var serverCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(kedge.Dir.Combine("server"), "tls.crt")));
        Assert.Equal(new DateTimeOffset(serverCertificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), Value(metrics, "kedge_certificate_expiry_timestamp_seconds", "certificate=\"server\""));
        Assert.Equal(new DateTimeOffset(kedge.Ca.Certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), Value(metrics, "kedge_certificate_expiry_timestamp_seconds", "certificate=\"client_ca\""));

        // Process and runtime metrics, and Kestrel's connection metrics.
        Assert.Matches("(?m)^process_cpu_seconds_total [0-9]", metrics);
        Assert.Matches("(?m)^dotnet_gc_collections_total\\{", metrics);
        Assert.Matches("(?m)^kestrel_active_connections\\{", metrics);
    }

    [Fact]
    public async Task Apply_BackendAndRouteRemoved_TheirSeriesEvictedOthersStay()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://api.kedge/")).StatusCode);
        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "metrics" });
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        // A request is counted once its response is done, which may be just after the caller has it: wait for the values
        // asserted after the reload, which must then be unchanged.
        var before = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => ValueOrNull(m, "kedge_requests_total", "route=\"web.kedge\"", "backend_name=\"web\"", "code_class=\"2xx\"") == 1
                && ValueOrNull(m, "kedge_requests_total", "route=\"api.kedge\"", "backend_name=\"api\"", "code_class=\"2xx\"") == 1
                && ValueOrNull(m, "http_handler_completed_requests_total", "handler=\"api\"", "status=\"200\"") == 1
                && ValueOrNull(m, "http_server_request_duration_seconds_count", "http_route=\"api.kedge\"") == 1
                && ValueOrNull(m, "grpc_server_handled_total", "grpc_method=\"SayHello\"", "grpc_code=\"OK\"") == 1,
            "the three requests are counted");
        Assert.Contains("handler=\"web\"", before, StringComparison.Ordinal);
        Assert.Contains("backend_name=\"web\"", before, StringComparison.Ordinal);
        Assert.Contains("route=\"web.kedge\"", before, StringComparison.Ordinal);

        var withoutWeb = Routing();
        withoutWeb.HttpRoutes.RemoveAt(0);
        withoutWeb.HttpBackends.RemoveAt(0);
        withoutWeb.GrpcRoutes.Clear();
        withoutWeb.GrpcBackends.Clear();
        Assert.Empty(await kedge.Server.ApplyAsync(withoutWeb));
        var after = await admin.GetStringAsync("/metrics");

        // The deletion itself stays counted (Go kedge's backend configuration changes); nothing else names web or greeter.
        var mentions = after.Split('\n').Where(line => !line.StartsWith('#') && !line.Contains("_backend_configuration_changes_total", StringComparison.Ordinal)
            && (line.Contains("\"web", StringComparison.Ordinal) || line.Contains("\"greeter\"", StringComparison.Ordinal) || line.Contains("\"kedge.testing.Greeter\"", StringComparison.Ordinal)));
        Assert.Empty(mentions);
        Assert.Equal(1, Value(after, "kedge_requests_total", "route=\"api.kedge\"", "backend_name=\"api\"", "code_class=\"2xx\""));
        Assert.Equal(1, Value(after, "http_handler_completed_requests_total", "handler=\"api\"", "status=\"200\""));
        Assert.Equal(1, Value(after, "kedge_backend_endpoints", "backend_name=\"api\"", "state=\"healthy\""));
        Assert.Equal(1, Value(after, "http_server_request_duration_seconds_count", "http_route=\"api.kedge\""));
        Assert.Equal(2, Value(after, "kedge_config_reloads_total", "result=\"success\""));
        Assert.Equal(1, Value(after, "kedge_http_backend_configuration_changes_total", "backend_name=\"web\"", "action=\"delete\""));
    }

    [Fact]
    public async Task Apply_InvalidConfiguration_CountedAsFailureAndLastSuccessTimeKept()
    {
        _logs.ExpectErrors(e => e.EventId.Name == "ConfigurationRejected");
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var before = await admin.GetStringAsync("/metrics");
        var invalid = Routing();
        invalid.HttpRoutes.Add(new() { Backend = "missing", Host = "broken.kedge" });

        Assert.NotEmpty(await kedge.Server.ApplyAsync(invalid));
        var after = await admin.GetStringAsync("/metrics");

        Assert.Equal(1, Value(after, "kedge_config_reloads_total", "result=\"success\""));
        Assert.Equal(1, Value(after, "kedge_config_reloads_total", "result=\"failure\""));
        Assert.Equal(1, Value(after, "kedge_config_reload_failures_total"));
        Assert.Equal(Value(before, "kedge_config_last_reload_success_timestamp_seconds"), Value(after, "kedge_config_last_reload_success_timestamp_seconds"));
    }

    [Fact]
    public async Task Metrics_RandomHostsAndGrpcMethodsOverTls_SeriesCountStaysBounded()
    {
        var routing = Routing();
        routing.GrpcRoutes = [new() { Backend = "greeter" }];
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        const int Requests = 1500;
        var names = new List<string>();

        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
        {
            var host = $"h{Guid.NewGuid():N}.kedge";
            var method = $"m{Guid.NewGuid():N}";
            lock (names)
            {
                names.Add(host);
                names.Add(method);
            }

            // An unknown Host (refused: no route, 502 as in Go kedge) and a gRPC call to a random method of a random service on a random authority.
            using var refused = await http.GetAsync($"http://{host}/", cancellationToken);
            using var call = new HttpRequestMessage(HttpMethod.Post, $"http://{host}:9000/s{method}.Svc/{method}")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(new byte[5]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
            };
            call.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
            // Whatever the answer (Unimplemented; under this load the backend's Kestrel also resets a few streams), the
            // call is counted.
            using var response = await http.SendAsync(call, cancellationToken);
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        });

        // A request is counted once its response is done, which may be just after the caller has it.
        var metrics = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => m.Split('\n').Where(line => line.StartsWith("grpc_server_handled_total{", StringComparison.Ordinal)).Sum(ValueOf) == Requests
                && ValueOrNull(m, "kedge_requests_total", "route=\"\"", "protocol=\"http\"", "code_class=\"5xx\"") == Requests,
            "every request is counted");
        var series = metrics.Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
        var requestSeries = series.Where(line => line.StartsWith("kedge_", StringComparison.Ordinal) || line.StartsWith("http_", StringComparison.Ordinal) || line.StartsWith("grpc_", StringComparison.Ordinal)).ToList();

        // 3000 requests, 1500 distinct hosts and 1500 distinct gRPC methods: the method names are capped per route (64),
        // hosts are never label values. Histograms are 16 lines per series.
        Assert.InRange(requestSeries.Count, 1, 500);
        Assert.InRange(series.Count, 1, 1000);
        Assert.Equal(Requests, Value(metrics, "kedge_requests_total", "route=\"\"", "protocol=\"http\"", "code_class=\"5xx\""));
        Assert.Equal(Requests, series.Where(line => line.StartsWith("grpc_server_handled_total{", StringComparison.Ordinal)).Sum(ValueOf));
        // The backend answers Unimplemented before reading the call's body; under this load its Kestrel resets a few
        // streams (ENHANCE_YOUR_CALM), answered with other codes: count every status.
        // A method answered Unimplemented takes no name (only the few reset ones may), so named + other = every call.
        var other = series.Where(line => line.StartsWith("grpc_server_handled_total{", StringComparison.Ordinal) && line.Contains("grpc_service=\"other\",grpc_method=\"other\"", StringComparison.Ordinal)).Sum(ValueOf);
        var methods = new HashSet<string>(names.Where(n => n.StartsWith('m')), StringComparer.Ordinal);
        var methodLabel = new Regex("grpc_method=\"([^\"]*)\"");
        var namedMethods = series.Select(line => methodLabel.Match(line)).Where(m => m.Success && methods.Contains(m.Groups[1].Value)).Select(m => m.Groups[1].Value).Distinct().Count();
        Assert.InRange(namedMethods, 0, Kedge.Server.Observability.RequestStats.MaxGrpcMethods);
        Assert.Equal(Requests - namedMethods, other);
        Assert.DoesNotContain(series, line => names.Any(n => n.StartsWith('h') && line.Contains(n, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Metrics_EndpointEjectedAfterConnectFailure_CountedAsEjected()
    {
        var closedPort = ClosedPort();
        var routing = Routing();
        routing.HttpBackends[0] = new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}", $"127.0.0.1:{closedPort}"] } };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.FailedTargetBackoff = TimeSpan.FromMinutes(10));
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
        }

        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Equal(1, Value(metrics, "kedge_backend_endpoints", "backend_name=\"web\"", "state=\"healthy\""));
        Assert.Equal(1, Value(metrics, "kedge_backend_endpoints", "backend_name=\"web\"", "state=\"ejected\""));
        Assert.Equal(1, Value(metrics, "kedge_backend_retries_total", "backend_name=\"web\"", "reason=\"connect\""));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The value of the one series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    internal static double Value(string metrics, string name, params string[] labels)
    {
        var matches = Series(metrics, name, labels);
        Assert.True(matches.Count == 1, $"expected one series {name}{{{string.Join(',', labels)}}}, found {matches.Count}:\n{string.Join('\n', matches)}");
        return ValueOf(matches[0]);
    }

    /// <summary>
    /// kedge's side of <see cref="KedgeMetricContract"/>: the series the dashboard, the README and users' alerts rely on are
    /// exported with exactly the contract's labels (the deploy tests check the other side: the queries use nothing else).
    /// </summary>
    [Fact]
    public async Task Metrics_AfterHttpGrpcAndRefusedTraffic_EveryContractSeriesExportedWithExactlyItsLabels()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "contract" });
        Assert.Equal(HttpStatusCode.BadGateway, (await http.GetAsync("http://nothing.kedge/")).StatusCode);

        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var exposition = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => Regex.IsMatch(m, "(?m)^kedge_requests_total\\{[^}]*route=\"\"[^}]*\\} 1$") && m.Contains("protocol=\"grpc\"", StringComparison.Ordinal),
            "the HTTP, gRPC and refused requests are counted");
        var exported = Series(exposition);

        var problems = new List<string>();
        foreach (var (name, labels) in KedgeMetricContract.Series)
        {
            if (!exported.TryGetValue(name, out var labelSets))
            {
                if (!NotFromThisTraffic.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    problems.Add($"{name}: not exported");
                }

                continue;
            }

            foreach (var set in labelSets.Where(set => !set.SetEquals(labels)))
            {
                problems.Add($"{name}: exported with labels [{string.Join(", ", set.Order(StringComparer.Ordinal))}], the contract says [{string.Join(", ", labels.Order(StringComparer.Ordinal))}]");
            }
        }

        Assert.True(problems.Count == 0, "kedge's /metrics and the metric contract differ:\n" + string.Join("\n", problems));
    }

    /// <summary>
    /// As <see cref="Value"/>, but null while there is not exactly one such series, for a wait: an assertion failing
    /// inside <see cref="Eventually"/> would end the wait at once instead of retrying.
    /// </summary>
    internal static double? ValueOrNull(string metrics, string name, params string[] labels)
        => Series(metrics, name, labels) is [var line] ? ValueOf(line) : null;

    private static List<string> Series(string metrics, string name, string[] labels)
        => metrics.Split('\n')
            .Where(line => (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                && labels.All(label => line.Contains(label, StringComparison.Ordinal) && LabelPrecededBySeparator(line, label)))
            .ToList();

    private static bool LabelPrecededBySeparator(string line, string label)
    {
        var at = line.IndexOf(label, StringComparison.Ordinal);
        return at > 0 && line[at - 1] is '{' or ',';
    }

    private static double ValueOf(string line)
        => double.Parse((line.Contains('}', StringComparison.Ordinal) ? line[(line.LastIndexOf('}') + 1)..] : line[line.IndexOf(' ', StringComparison.Ordinal)..]).Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>Every sample's series name with the label names it was exported with.</summary>
    private static Dictionary<string, List<HashSet<string>>> Series(string exposition)
    {
        var series = new Dictionary<string, List<HashSet<string>>>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            var sample = SampleLine().Match(line);
            if (!sample.Success)
            {
                continue;
            }

            var labels = LabelName().Matches(sample.Groups["labels"].Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            var sets = series.TryGetValue(sample.Groups["name"].Value, out var known) ? known : series[sample.Groups["name"].Value] = [];
            if (!sets.Any(labels.SetEquals))
            {
                sets.Add(labels);
            }
        }

        return series;
    }

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? ")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex LabelName();
}
