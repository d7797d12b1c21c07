using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Sdk;

namespace Kedge.Testing.Prometheus;

/// <summary>
/// A real Prometheus (Debian's <c>/usr/bin/prometheus</c>) on a loopback port with a temporary configuration and
/// storage directory, scraping the given targets every second. Killed and its directory deleted on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const int StartAttempts = 5;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly ConcurrentQueue<string> _output = new();
    private readonly TempDirectory _dir;
    private readonly HttpClient _http;
    private Process? _process;

    private PrometheusServer(TempDirectory dir, Uri baseAddress)
    {
        _dir = dir;
        BaseAddress = baseAddress;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>What Prometheus logged (stderr and stdout), for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts Prometheus scraping <paramref name="targets"/> (<c>host:port</c>) at <paramref name="metricsPath"/> every
    /// <paramref name="scrapeInterval"/> (default 1 s), and returns once <c>/-/ready</c> answers 200.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<string> targets, string metricsPath = "/metrics", TimeSpan? scrapeInterval = null)
    {
        RealBinary.Require(RealBinary.Prometheus);
        var interval = scrapeInterval ?? TimeSpan.FromSeconds(1);
        var failures = new List<string>();
        for (var attempt = 1; attempt <= StartAttempts; attempt++)
        {
            // Prometheus cannot listen on port 0 and report the port back: take a port the OS says is free and try
            // again if another process bound it between the check and Prometheus's own bind.
            var port = FreeLoopbackPort();
            var dir = new TempDirectory();
            var server = new PrometheusServer(dir, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")));
            try
            {
                var outcome = await server.RunAsync(targets, metricsPath, interval).ConfigureAwait(false);
                if (outcome == StartOutcome.Ready)
                {
                    return server;
                }

                failures.Add($"attempt {attempt} on port {port}: {outcome}\n{server.Output}");
                await server.DisposeAsync().ConfigureAwait(false);
                if (outcome != StartOutcome.PortTaken)
                {
                    break;
                }
            }
            catch (XunitException ex)
            {
                // Neither ready nor exited in time: say what Prometheus printed.
                await server.DisposeAsync().ConfigureAwait(false);
                throw new XunitException($"{ex.Message}\nPrometheus log:\n{server.Output}", ex);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        throw new XunitException($"Prometheus did not start:\n{string.Join("\n", failures)}");
    }

    /// <summary>Runs an instant query (<c>/api/v1/query</c>) at the current time; a PromQL error throws with Prometheus's message.</summary>
    public async Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql)).ConfigureAwait(false);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        var root = json.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused '{promql}': {root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}");
        }

        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        switch (data.GetProperty("resultType").GetString())
        {
            case "scalar":
                return [new PrometheusSample(new Dictionary<string, string>(), ParseValue(result[1]))];
            case "vector":
                return result.EnumerateArray()
                    .Select(sample => new PrometheusSample(
                        sample.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "", StringComparer.Ordinal),
                        ParseValue(sample.GetProperty("value")[1])))
                    .ToArray();
            default:
                throw new InvalidOperationException($"'{promql}' gave a {data.GetProperty("resultType").GetString()}; ask for an instant vector or a scalar.");
        }
    }

    /// <summary>The scrape targets and their health (<c>/api/v1/targets</c>): why a query finds nothing.</summary>
    public async Task<IReadOnlyList<PrometheusTarget>> TargetsAsync()
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/targets").ConfigureAwait(false));
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => new PrometheusTarget(
                t.GetProperty("scrapeUrl").GetString() ?? "",
                t.GetProperty("health").GetString() ?? "",
                t.GetProperty("lastError").GetString() ?? ""))
            .ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            _process.Dispose();
        }

        _dir.Dispose();
    }

    private async Task<StartOutcome> RunAsync(IReadOnlyList<string> targets, string metricsPath, TimeSpan interval)
    {
        var config = _dir.Combine("prometheus.yml");
        await File.WriteAllTextAsync(config, Config(targets, metricsPath, interval)).ConfigureAwait(false);
        var start = new ProcessStartInfo(RealBinary.Prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--config.file=" + config);
        start.ArgumentList.Add("--storage.tsdb.path=" + _dir.Combine("data"));
        start.ArgumentList.Add("--web.listen-address=" + BaseAddress.Authority);
        start.ArgumentList.Add("--log.level=info");
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var process = _process;
        var outcome = await Eventually.ValueAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    return Output.Contains("address already in use", StringComparison.Ordinal) ? StartOutcome.PortTaken : StartOutcome.Exited;
                }

                using var ready = await _http.GetAsync("/-/ready").ConfigureAwait(false);
                return ready.StatusCode == HttpStatusCode.OK ? StartOutcome.Ready : StartOutcome.Starting;
            },
            static o => o != StartOutcome.Starting,
            $"Prometheus at {BaseAddress} answers /-/ready",
            StartLimit).ConfigureAwait(false);
        return outcome;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static string Config(IReadOnlyList<string> targets, string metricsPath, TimeSpan interval)
    {
        var seconds = Math.Max(1, (int)interval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            global:
              scrape_interval: {seconds}s
              # the default (10 s) must not exceed the interval
              scrape_timeout: {seconds}s
            scrape_configs:
              - job_name: kedge-test
                metrics_path: '{metricsPath}'
                static_configs:
                  - targets:

            """);
        foreach (var target in targets)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"          - '{target}'\n");
        }

        return yaml.ToString();
    }

    private static double ParseValue(JsonElement value) => value.GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        var text => double.Parse(text!, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private enum StartOutcome
    {
        Starting,
        Ready,
        PortTaken,
        Exited,
    }
}
