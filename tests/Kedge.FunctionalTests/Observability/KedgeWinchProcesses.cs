using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Kedge.FunctionalTests.Server;
using Kedge.Testing;
using Kedge.Testing.Otlp;
using Kedge.Winch.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Observability;

/// <summary>
/// The whole path as separate processes: the built winch (a developer's or pod's local proxy) and the built kedge (mTLS
/// edge) in front of an HTTP echo backend and a gRPC greeter backend, both products exporting traces over OTLP to one
/// <see cref="OtlpTraceReceiver"/> — kedge over OTLP/gRPC, winch over OTLP/HTTP, so both transports are exercised.
/// Separate processes because a TracerProvider exports every span of the sources it listens to in its whole process:
/// in one process, winch's provider and the caller's (both listening to Kedge.Client) would export each other's spans
/// under the wrong service name.
/// </summary>
public sealed partial class KedgeWinchProcesses : IAsyncLifetime
{
    public const string HttpTarget = "orders.shop.svc.cluster-b.kedge";
    public const string GrpcTarget = "greeter.shop.svc.cluster-b.kedge:8081";

    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<(string Path, string? Traceparent)> _grpcBackendRequests = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private Process? _kedge;
    private Process? _winch;
    private int _trafficRounds;

    public TestLogSink Logs { get; } = new();

    public OtlpTraceReceiver Receiver { get; private set; } = null!;

    public LoopbackServer HttpBackend { get; private set; } = null!;

    public LoopbackServer GrpcBackend { get; private set; } = null!;

    /// <summary>kedge's admin listener (<c>/metrics</c>, <c>/readyz</c>).</summary>
    public Uri KedgeAdminUrl { get; private set; } = null!;

    /// <summary>winch's HTTP proxy, which also serves winch's own <c>/metrics</c>.</summary>
    public Uri WinchHttpUrl { get; private set; } = null!;

    /// <summary>winch's plain-text gRPC proxy (h2c): a pod's or developer's local "kedge".</summary>
    public Uri WinchGrpcUrl { get; private set; } = null!;

    /// <summary>Path and <c>traceparent</c> of every request the gRPC backend received.</summary>
    public IReadOnlyList<(string Path, string? Traceparent)> GrpcBackendRequests => _grpcBackendRequests.ToArray();

    /// <summary>Counts one more round of a test's traffic and returns how many there have been, so a test can expect
    /// exact totals from processes its class shares.</summary>
    public int CountTrafficRound() => Interlocked.Increment(ref _trafficRounds);

    /// <summary>The last lines kedge and winch printed, for failure messages.</summary>
    public string Output => string.Join('\n', _output.TakeLast(60));

    public async Task InitializeAsync()
    {
        Receiver = await OtlpTraceReceiver.StartAsync(Logs);
        HttpBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), Logs);
        GrpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, Logs, app => app.Use((HttpContext context, RequestDelegate next) =>
        {
            _grpcBackendRequests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.TryGetValue("traceparent", out var traceparent) ? traceparent.ToString() : null));
            return next(context);
        }));

        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.test"), _dir.Combine("server"));
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("winch"), _dir.Combine("client"));
        var caFile = _ca.WriteCaPem(_dir.Path);
        var (tlsPort, adminPort) = (KedgeProcessTests.FreePort(), KedgeProcessTests.FreePort());
        var director = $$$"""
            {"http":{"routes":[{"backend_name":"orders","host_matcher":"{{{HttpTarget}}}"}]},
             "grpc":{"routes":[{"backend_name":"greeter","authority_host_matcher":"{{{GrpcTarget.Split(':')[0]}}}"}]}}
            """;
        var backendPool = string.Create(CultureInfo.InvariantCulture, $$$"""
            {"http":{"backends":[{"name":"orders","host":{"dns_name":"localhost","port":{{{HttpBackend.Port}}}}}]},
             "grpc":{"backends":[{"name":"greeter","host":{"dns_name":"localhost","port":{{{GrpcBackend.Port}}}}}]}}
            """);
        _kedge = KedgeProcessTests.Start(
            [
                "--server_bind_address=127.0.0.1",
                $"--server_http_tls_port={tlsPort}",
                "--server_grpc_tls_port=0",
                $"--server_http_port={adminPort}",
                $"--server_tls_cert_file={serverCert}",
                $"--server_tls_key_file={serverKey}",
                $"--server_tls_client_ca_files={caFile}",
                $"--kedge_config_director_config={director}",
                $"--kedge_config_backendpool_config={backendPool}",
                "--log_level=info",
            ],
            Exporting(Receiver.GrpcEndpoint, "grpc"),
            null,
            Keep("kedge"));
        KedgeAdminUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{adminPort}"));
        using (var admin = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = KedgeAdminUrl })
        {
            await KedgeProcessTests.WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, _kedge);
        }

        var listening = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var keepWinch = Keep("winch");
        _winch = KedgeProcessTests.StartBuilt(
            typeof(WinchCommand).Assembly.Location,
            [
                "--server_http_port=0",
                "--server_grpc_port=0",
                "--server_mapper_config=" + string.Create(CultureInfo.InvariantCulture, $$$"""{"routes": [{"regexp": {"exp": "\\.cluster-b\\.kedge(:[0-9]+)?$", "url": "https://localhost:{{{tlsPort}}}"}}]}"""),
                $"--client_tls_cert_file={clientCert}",
                $"--client_tls_key_file={clientKey}",
                $"--client_tls_root_ca_files={caFile}",
                "--log_level=info",
            ],
            Exporting(Receiver.HttpEndpoint, "http/protobuf"),
            null,
            line =>
            {
                keepWinch(line);
                if (line is not null && ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(match);
                }
            });
        var winchExited = _winch.WaitForExitAsync();
        var started = await Task.WhenAny(listening.Task, winchExited, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(started == listening.Task, $"winch did not start listening:\n{Output}");
        var ports = await listening.Task;
        WinchHttpUrl = new Uri($"http://127.0.0.1:{ports.Groups["http"].Value}");
        WinchGrpcUrl = new Uri($"http://127.0.0.1:{ports.Groups["grpc"].Value}");
    }

    // xunit disposes a class fixture whose InitializeAsync failed too: whatever had started is stopped here.
    public async Task DisposeAsync()
    {
        await StopAsync(_winch);
        await StopAsync(_kedge);
        foreach (var part in new IAsyncDisposable?[] { GrpcBackend, HttpBackend, Receiver })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }

        _ca.Dispose();
        _dir.Dispose();
        Logs.Dispose();
    }

    /// <summary>The standard OpenTelemetry variables, as an operator sets them; a short batch delay so spans arrive while the test waits.</summary>
    private static Dictionary<string, string> Exporting(Uri endpoint, string protocol) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.GetLeftPart(UriPartial.Authority),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    private Action<string?> Keep(string product) => line =>
    {
        if (line is not null)
        {
            _output.Enqueue($"[{product}] {line}");
        }
    };

    private static async Task StopAsync(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                KedgeProcessTests.Sigterm(process);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // It did not drain in time; the kill below ends it.
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }

    [GeneratedRegex(@"winch is listening: HTTP proxy on http://127\.0\.0\.1:(?<http>\d+) .*gRPC proxy on 127\.0\.0\.1:(?<grpc>\d+)")]
    private static partial Regex ListeningLine();
}
