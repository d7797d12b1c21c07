// Kedge load harness: drives the same small backend (a) directly, (b) through kedge, (c) through a minimal YARP app with
// one catch-all route, (d) through nginx (1 worker, keepalive upstream), with wrk (HTTP/1.1 over TLS), h2load (HTTP/2)
// and a .NET gRPC unary client, and prints req/s, p50, p99, the kedge/YARP and kedge/nginx ratios and kedge's peak
// working set. Everything runs on loopback. Needs the Debian packages wrk, nghttp2-client and nginx-light.
// Usage: dotnet run -c Release --project benchmarks/Kedge.LoadTest -- [seconds per run (10)] [wrk connections (32)] [rounds (3)]
// With --telemetry it measures kedge's telemetry modes instead, in one run, against kedge with telemetry off (see
// TelemetryRun.cs): [--baseline=<kedge.dll built without tracing>] [--access-log-arg=<kedge argument> (--access_log=true)].
// With --tunnel it measures TCP tunnels instead (winch forward → kedge → echo against socat; see TunnelRun.cs):
// [--tunnel-mb=<MB each way per round> (1024)] [rounds (3)]; needs the Debian package socat.
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kedge.LoadTest;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

string? Option(string name) => args.LastOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
var telemetry = args.Contains("--telemetry");
if (args.Contains("--tunnel"))
{
    var tunnelRounds = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(3);
    return await new TunnelRun(long.Parse(Option("--tunnel-mb") ?? "1024", CultureInfo.InvariantCulture), tunnelRounds).RunAsync();
}

var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var seconds = positional.Length > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 10;
var connections = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 32;
var rounds = positional.Length > 2 ? int.Parse(positional[2], CultureInfo.InvariantCulture) : 3;
var duration = TimeSpan.FromSeconds(seconds);
foreach (var tool in telemetry ? ["wrk", "h2load"] : new[] { "wrk", "h2load", "nginx" })
{
    if (!File.Exists($"/usr/bin/{tool}") && !File.Exists($"/usr/sbin/{tool}"))
    {
        Console.Error.WriteLine($"'{tool}' is missing: apt-get install -y wrk nghttp2-client nginx-light");
        return 2;
    }
}

using var dir = new TempDirectory();
using var ca = TestCertificateAuthority.Create("Load CA");
var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.load"), dir.Path);

// The backend: a tiny HTTP/1.1 endpoint and the h2c greeter.
var backendBuilder = WebApplication.CreateSlimBuilder();
backendBuilder.Logging.ClearProviders();
backendBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
await using var backend = backendBuilder.Build();
backend.MapGet("/{**path}", () => "hello world\n");
await backend.StartAsync();
var backendPort = new Uri(backend.Urls.First()).Port;
await using var greeter = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 });

var director = """{"http":{"routes":[{"backend_name":"bench"}]},"grpc":{"routes":[{"backend_name":"greeter"}]}}""";
var backendPool = $$$"""{"http":{"backends":[{"name":"bench","host":{"dns_name":"127.0.0.1","port":{{{backendPort}}}}}]},"grpc":{"backends":[{"name":"greeter","host":{"dns_name":"127.0.0.1","port":{{{greeter.Port}}}}}]}}""";
// No client CA files: wrk and h2load cannot present a certificate, and the YARP and nginx baselines request none. (With
// client certificates merely optional and no token auth, kedge refuses routes that have no rule of their own.)
string[] KedgeArgs(int port) =>
[
    "--server_bind_address=127.0.0.1", $"--server_http_tls_port={port}", "--server_grpc_tls_port=0", $"--server_http_port={Processes.FreePort()}",
    $"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}",
    $"--kedge_config_director_config={director}", $"--kedge_config_backendpool_config={backendPool}", "--log_level=warn",
];

if (telemetry)
{
    var run = new TelemetryRun(KedgeArgs, ca.Certificate, duration, connections, rounds)
    {
        BaselineDll = Option("--baseline"),
        AccessLogArgument = Option("--access-log-arg") ?? "--access_log=true",
    };
    return await run.RunAsync();
}

var kedgePort = Processes.FreePort();
using var kedge = Processes.StartKedge(kedgePort, KedgeArgs(kedgePort));

var yarpPort = Processes.FreePort();
using var yarp = Processes.StartDll("Kedge.YarpBaseline.dll", yarpPort, yarpPort.ToString(CultureInfo.InvariantCulture), cert, key, $"http://127.0.0.1:{backendPort}", $"http://127.0.0.1:{greeter.Port}");

var nginxPort = Processes.FreePort();
var nginxDir = dir.Combine("nginx");
Directory.CreateDirectory(nginxDir);
await File.WriteAllTextAsync(Path.Combine(nginxDir, "nginx.conf"), $$"""
    user root;
    worker_processes 1;
    daemon off;
    pid {{nginxDir}}/nginx.pid;
    error_log {{nginxDir}}/error.log warn;
    events { worker_connections 4096; }
    http {
      access_log off;
      client_body_temp_path {{nginxDir}}/body;
      proxy_temp_path {{nginxDir}}/proxy;
      upstream backend { server 127.0.0.1:{{backendPort}}; keepalive 64; }
      upstream greeter { server 127.0.0.1:{{greeter.Port}}; keepalive 64; }
      server {
        listen 127.0.0.1:{{nginxPort}} ssl http2;
        keepalive_requests 100000000;
        ssl_certificate {{cert}};
        ssl_certificate_key {{key}};
        location / {
          if ($content_type ~ "^application/grpc") { grpc_pass grpc://greeter; }
          proxy_pass http://backend;
          proxy_http_version 1.1;
          proxy_set_header Connection "";
        }
      }
    }
    """);
using var nginx = Processes.Start("nginx", nginxPort, "-p", nginxDir, "-c", Path.Combine(nginxDir, "nginx.conf"));

await Processes.WaitForPortsAsync(kedgePort, yarpPort, nginxPort);
Console.WriteLine($"backend :{backendPort}  greeter :{greeter.Port}  kedge :{kedgePort}  yarp :{yarpPort}  nginx :{nginxPort}  ({seconds}s per run)");

var results = new List<LoadResult>();

// Each proxy is measured in several interleaved rounds and the median round is kept (Rounds).
async Task MeasureRounds(IReadOnlyList<(string Name, Func<Task<LoadResult>> Run)> targets)
{
    var pids = new Dictionary<string, int> { ["kedge"] = kedge.Process.Id, ["yarp"] = yarp.Process.Id, ["nginx"] = nginx.Process.Id };
    results.AddRange(await Rounds.MeasureAsync(rounds, [.. targets.Select(t => (t.Name, pids.TryGetValue(t.Name, out var pid) ? pid : (int?)null, t.Run))]));
}

// Warm every path first (tiered JIT, connection pools) so it stays out of the measurements.
foreach (var port in new[] { kedgePort, yarpPort, nginxPort })
{
    await ExternalTools.RunAsync("wrk", $"-t1 -c{connections} -d5s https://127.0.0.1:{port}/");
    await ExternalTools.RunAsync("h2load", $"-D 3 -c 4 -m 16 -t 1 https://127.0.0.1:{port}/");
}

var phasePeaks = new List<(string Phase, double Kedge, double Yarp)>();

// Peak working set per load phase: read the high-water marks after each phase, then reset them ("5" > clear_refs).
void RecordPeaks(string phase)
{
    phasePeaks.Add((phase, Processes.PeakWorkingSetMb(kedge), Processes.PeakWorkingSetMb(yarp)));
    Processes.ResetPeakWorkingSet(kedge);
    Processes.ResetPeakWorkingSet(yarp);
}

var only = Environment.GetEnvironmentVariable("KEDGE_LOAD_ONLY"); // "h1", "h2" or "grpc" for quick experiments
var proxies = new[] { ("kedge", kedgePort), ("yarp", yarpPort), ("nginx", nginxPort) };
if (only is null or "h1")
{
    await MeasureRounds([("direct", () => ExternalTools.WrkAsync("direct", $"http://127.0.0.1:{backendPort}/", duration, connections)),
    .. proxies.Select(p => (p.Item1, (Func<Task<LoadResult>>)(() => ExternalTools.WrkAsync(p.Item1, $"https://127.0.0.1:{p.Item2}/", duration, connections))))]);
    RecordPeaks("HTTP/1.1");
}
if (only is null or "h2")
{
    await MeasureRounds([.. proxies.Select(p => (p.Item1, (Func<Task<LoadResult>>)(() => ExternalTools.H2LoadAsync(p.Item1, $"https://127.0.0.1:{p.Item2}/", duration, connections: 4, streams: 16))))]);
    RecordPeaks("HTTP/2");
}

if (only is null or "grpc")
{
    await MeasureRounds([("direct", () => GrpcLoad.RunAsync("direct", new Uri($"http://127.0.0.1:{greeter.Port}"), new SocketsHttpHandler(), duration, 32)),
    .. proxies.Select(p => (p.Item1, (Func<Task<LoadResult>>)(() => GrpcLoad.RunAsync(p.Item1, new Uri($"https://localhost:{p.Item2}"), GrpcLoad.TlsHandler(ca.Certificate), duration, 32))))]);
    RecordPeaks("gRPC");
}

var peak = phasePeaks.Count > 0 ? phasePeaks.Max(p => p.Kedge) : Processes.PeakWorkingSetMb(kedge);
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"| target | protocol | req/s | p50 ms | p99 ms | proxy CPU µs/req | errors |");
report.AppendLine("|---|---|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    report.AppendLine(CultureInfo.InvariantCulture, $"| {r.Target} | {r.Protocol} | {r.RequestsPerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {(double.IsNaN(r.CpuMicrosPerRequest) ? "-" : r.CpuMicrosPerRequest.ToString("F1", CultureInfo.InvariantCulture))} | {r.Errors} |");
}

report.AppendLine();
foreach (var protocol in results.Select(r => r.Protocol).Distinct().Where(p => results.Any(r => r.Protocol == p && r.Target == "yarp")))
{
    double Rps(string target) => results.First(r => r.Protocol == protocol && r.Target == target).RequestsPerSecond;
    double Cpu(string target) => results.First(r => r.Protocol == protocol && r.Target == target).CpuMicrosPerRequest;
    report.AppendLine(CultureInfo.InvariantCulture, $"- {protocol}: throughput kedge/YARP {Rps("kedge") / Rps("yarp"):F2}x, kedge/nginx {Rps("kedge") / Rps("nginx"):F2}x; CPU per request kedge/YARP {Cpu("kedge") / Cpu("yarp"):F2}x, kedge/nginx {Cpu("kedge") / Cpu("nginx"):F2}x");
}

report.AppendLine(CultureInfo.InvariantCulture, $"- kedge peak working set (VmHWM) {peak:F0} MB; nginx {Processes.PeakWorkingSetMb(nginx):F0} MB (master + worker, whole run)");
foreach (var (phase, kedgePeak, yarpPeak) in phasePeaks)
{
    report.AppendLine(CultureInfo.InvariantCulture, $"  - {phase} phase: kedge {kedgePeak:F0} MB, YARP {yarpPeak:F0} MB");
}
return await LoadReport.PublishAsync(report.ToString(), "results.md", results);
