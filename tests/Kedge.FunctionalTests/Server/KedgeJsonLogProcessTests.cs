using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// The built kedge with <c>--log_format=json --access_log</c> and <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, as an operator runs
/// it: what it prints on the console is read back line by line.
/// </summary>
public sealed class KedgeJsonLogProcessTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly ConcurrentQueue<string> _console = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _otlpSink = null!;
    private int _exports;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _otlpSink = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app => app.MapPost("/v1/traces", () =>
        {
            Interlocked.Increment(ref _exports);
            return Microsoft.AspNetCore.Http.Results.Ok();
        }));
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _otlpSink.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Process_JsonLogFormatAccessLogAndOtlp_EveryLineIsJsonAndLinesOfATracedRequestCarryItsTraceId()
    {
        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.test"), _dir.Combine("server"));
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var caFile = _ca.WriteCaPem(_dir.Path);
        var (tlsPort, adminPort) = (KedgeProcessTests.FreePort(), KedgeProcessTests.FreePort());
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{_otlpSink.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        using var kedge = KedgeProcessTests.Start(
            [
                "--server_bind_address=127.0.0.1", $"--server_http_tls_port={tlsPort}", "--server_grpc_tls_port=0", $"--server_http_port={adminPort}",
                $"--server_tls_cert_file={serverCert}", $"--server_tls_key_file={serverKey}", $"--server_tls_client_ca_files={caFile}",
                """--kedge_config_director_config={"http":{"routes":[{"backend_name":"orders","host_matcher":"orders.shop.svc.cluster-b.kedge"}]},"grpc":{}}""",
                $$$"""--kedge_config_backendpool_config={"http":{"backends":[{"name":"orders","host":{"dns_name":"localhost","port":{{{_backend.Port}}}}}]},"grpc":{}}""",
                "--log_format=json", "--access_log",
            ],
            environment,
            null,
            line =>
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    _console.Enqueue(line);
                }
            });
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await KedgeProcessTests.WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, kedge);
            var options = new Kedge.Client.Configuration.KedgeClientOptions
            {
                Mapper = KedgeMapper.Single(new Uri($"https://localhost:{tlsPort}")),
                ClientCertificate = new() { CertificateFile = clientCert, KeyFile = clientKey },
            };
            options.KedgeCaFiles.Add(caFile);
            using var client = KedgeClient.Create(options, _logs);
            using var http = new HttpClient(client.CreateHandler());
            var traceId = ActivityTraceId.CreateRandom();
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/json?secret=1");
            request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
            request.Headers.Add("X-Kedge-Info-Logs", "winch-json");

            using var response = await http.SendAsync(request);
            var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(ActivityContext.TryParse(echo!.Headers["traceparent"], null, out var kedgeSpan));
            await KedgeProcessTests.WaitUntilAsync(() => Task.FromResult(Lines().Any(l => EventId(l) == 1500)), kedge);
            await KedgeProcessTests.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref _exports) > 0), kedge);

            var access = Lines().Single(l => EventId(l) == 1500);
            Assert.Equal("Kedge.Server.AccessLog", access.GetProperty("Category").GetString());
            Assert.Equal(traceId.ToHexString(), access.GetProperty("State").GetProperty("TraceId").GetString());
            Assert.Equal("/json", access.GetProperty("State").GetProperty("Path").GetString());
            Assert.Equal(200, access.GetProperty("State").GetProperty("Status").GetInt32());
            Assert.Equal(traceId.ToHexString(), ScopeValue(access, "TraceId"));
            // A line kedge logs while proxying (X-Kedge-Info-Logs) carries the trace and kedge's own span.
            var proxied = Lines().Single(l => EventId(l) == 1470);
            Assert.Equal(traceId.ToHexString(), ScopeValue(proxied, "TraceId"));
            Assert.Equal(kedgeSpan.SpanId.ToHexString(), ScopeValue(proxied, "SpanId"));
            Assert.Contains(Lines(), l => EventId(l) == 1501); // "Tracing: spans of Kedge.Server are exported …"
            Assert.DoesNotContain(_console, l => l.Contains("secret", StringComparison.Ordinal));

            Assert.Equal(0, KedgeProcessTests.Sigterm(kedge));
            Assert.True(kedge.WaitForExit(TimeSpan.FromSeconds(30)), "kedge did not exit after SIGTERM");
            kedge.WaitForExit();
            foreach (var line in _console)
            {
                using var parsed = JsonDocument.Parse(line); // every console line is one JSON object
                Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
            }
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill();
            }
        }
    }

    private List<JsonElement> Lines() => [.. _console.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static int EventId(JsonElement line) => line.TryGetProperty("EventId", out var id) ? id.GetInt32() : -1;

    private static string? ScopeValue(JsonElement line, string name)
        => line.GetProperty("Scopes").EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out _))
            .Select(s => s.GetProperty(name).GetString()).FirstOrDefault();
}
