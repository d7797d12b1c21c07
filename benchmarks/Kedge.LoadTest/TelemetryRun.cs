using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.LoadTest;

/// <summary>
/// kedge's telemetry modes measured in one run, each as a ratio to kedge with telemetry off, over HTTP/1.1 (wrk),
/// HTTP/2 (h2load) and gRPC unary, every mode a kedge process of its own, measured in interleaved rounds:
/// <list type="bullet">
/// <item><c>off</c>: the baseline. With <c>--baseline=&lt;kedge.dll&gt;</c> a build without tracing; without it, this build
/// with its defaults (then the "compiled in" mode is the baseline itself and is not listed).</item>
/// <item><c>tracing-idle</c> (only with a baseline build): this build with its defaults, tracing compiled in but not
/// exporting (no OTLP endpoint, so no TracerProvider).</item>
/// <item><c>otlp-100%</c>: every request sampled (<c>OTEL_TRACES_SAMPLER=always_on</c>) and exported over OTLP/HTTP
/// protobuf to <see cref="OtlpSink"/>, in the harness, with the exporter's default batching.</item>
/// <item><c>access-log</c>: the access log on (<c>--access-log-arg</c>, default <c>--access_log=true</c>).</item>
/// </list>
/// Every kedge's standard output is drained the same way, and its lines counted, to show the access log was written.
/// </summary>
internal sealed class TelemetryRun(Func<int, string[]> kedgeArgs, X509Certificate2 ca, TimeSpan duration, int connections, int rounds)
{
    private const string Off = "off";

    /// <summary>A kedge.dll built without tracing, the baseline for the "compiled in" cost; null: this build is the baseline.</summary>
    public string? BaselineDll { get; init; }

    /// <summary>The kedge argument that turns the access log on.</summary>
    public string AccessLogArgument { get; init; } = "--access_log=true";

    public async Task<int> RunAsync()
    {
        await using var sink = await OtlpSink.StartAsync();
        var current = Path.Combine(AppContext.BaseDirectory, "kedge.dll");

        // No exporter unless a mode asks for one, whatever the caller's shell exports.
        var quiet = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "", ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "", ["OTEL_TRACES_SAMPLER"] = "", ["OTEL_TRACES_SAMPLER_ARG"] = "" };
        var otlp = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{sink.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
        };
        var modes = new List<(string Name, string Dll, Dictionary<string, string> Environment, string[] Args)>();
        if (BaselineDll is not null)
        {
            modes.Add((Off, Path.GetFullPath(BaselineDll), quiet, []));
            modes.Add(("tracing-idle", current, quiet, []));
        }
        else
        {
            modes.Add((Off, current, quiet, []));
        }

        modes.Add(("otlp-100%", current, otlp, []));
        modes.Add(("access-log", current, quiet, [AccessLogArgument]));

        var kedges = new List<(string Name, int Port, Processes.OwnedProcess Process)>();
        try
        {
            foreach (var (name, dll, environment, args) in modes)
            {
                var port = Processes.FreePort();
                kedges.Add((name, port, Processes.StartKedge(dll, port, environment, drainOutput: true, [.. kedgeArgs(port), .. args])));
            }

            await Processes.WaitForPortsAsync([.. kedges.Select(k => k.Port)]);
            Console.WriteLine($"telemetry modes: {string.Join("  ", kedges.Select(k => $"{k.Name} :{k.Port}"))}  OTLP sink :{sink.Port}  ({duration.TotalSeconds:F0}s per run, {rounds} rounds)");
            return await MeasureAsync(kedges, sink);
        }
        finally
        {
            foreach (var kedge in kedges)
            {
                kedge.Process.Dispose();
            }
        }
    }

    private async Task<int> MeasureAsync(List<(string Name, int Port, Processes.OwnedProcess Process)> kedges, OtlpSink sink)
    {
        // Warm every kedge first (tiered JIT, connection pools) so it stays out of the measurements.
        foreach (var (_, port, _) in kedges)
        {
            await ExternalTools.RunAsync("wrk", $"-t1 -c{connections} -d5s https://127.0.0.1:{port}/");
            await ExternalTools.RunAsync("h2load", $"-D 3 -c 4 -m 16 -t 1 https://127.0.0.1:{port}/");
        }

        var results = new List<LoadResult>();
        var only = Environment.GetEnvironmentVariable("KEDGE_LOAD_ONLY"); // "h1", "h2" or "grpc" for quick experiments
        if (only is null or "h1")
        {
            results.AddRange(await Rounds.MeasureAsync(rounds, [.. kedges.Select(k => (k.Name, (int?)k.Process.Process.Id, (Func<Task<LoadResult>>)(() => ExternalTools.WrkAsync(k.Name, $"https://127.0.0.1:{k.Port}/", duration, connections))))]));
        }

        if (only is null or "h2")
        {
            results.AddRange(await Rounds.MeasureAsync(rounds, [.. kedges.Select(k => (k.Name, (int?)k.Process.Process.Id, (Func<Task<LoadResult>>)(() => ExternalTools.H2LoadAsync(k.Name, $"https://127.0.0.1:{k.Port}/", duration, connections: 4, streams: 16))))]));
        }

        if (only is null or "grpc")
        {
            results.AddRange(await Rounds.MeasureAsync(rounds, [.. kedges.Select(k => (k.Name, (int?)k.Process.Process.Id, (Func<Task<LoadResult>>)(() => GrpcLoad.RunAsync(k.Name, new Uri($"https://localhost:{k.Port}"), GrpcLoad.TlsHandler(ca), duration, 32))))]));
        }

        var report = new StringBuilder();
        report.AppendLine("| kedge telemetry | protocol | req/s | throughput vs off | p50 ms | p99 ms | CPU µs/req | CPU vs off | errors |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var off = results.First(b => b.Protocol == r.Protocol && b.Target == Off);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {r.Target} | {r.Protocol} | {r.RequestsPerSecond:F0} | {r.RequestsPerSecond / off.RequestsPerSecond:F3} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.CpuMicrosPerRequest:F1} | {r.CpuMicrosPerRequest / off.CpuMicrosPerRequest:F3} | {r.Errors} |");
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"- OTLP sink: {sink.Exports} export calls, {sink.Bytes / 1024.0 / 1024.0:F1} MB received");
        foreach (var (name, _, process) in kedges)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {process.OutputLines} stdout lines, peak working set (VmHWM) {Processes.PeakWorkingSetMb(process):F0} MB");
        }

        return await LoadReport.PublishAsync(report.ToString(), "telemetry.md", results);
    }
}
