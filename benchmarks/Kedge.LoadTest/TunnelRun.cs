using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kedge.Testing;

namespace Kedge.LoadTest;

/// <summary>
/// Tunnel throughput and added latency, one run, against socat as the baseline proxy: the same loopback TCP echo server
/// reached (a) directly, (b) through one socat relay, (c) through two socat relays with TLS between them (the shape of
/// winch → kedge), (d) through <c>winch forward</c> → kedge (mTLS, HTTP/2 extended CONNECT) → echo. Each path is measured
/// in interleaved rounds; the median round is reported. Needs the Debian package socat.
/// </summary>
internal sealed class TunnelRun(long megabytes, int rounds)
{
    private const int ChunkSize = 64 * 1024;
    private const int PingSize = 64;
    private const int Pings = 2000;
    private const int Opens = 50;

    private const string TargetHost = "echo.bench.tunnel.kedge";

    public async Task<int> RunAsync()
    {
        if (!File.Exists("/usr/bin/socat"))
        {
            Console.Error.WriteLine("'socat' is missing: apt-get install -y socat");
            return 2;
        }

        using var dir = new TempDirectory();
        using var ca = TestCertificateAuthority.Create("Tunnel load CA");
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.load"), dir.Path);
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("winch-load"), dir.Path, "client.crt", "client.key");
        var caFile = ca.WriteCaPem(dir.Path);
        await using var echo = TcpEchoServer.Start();

        // socat relays: one plain hop, and two hops with TLS between them (as winch → kedge); TCP_NODELAY everywhere, as
        // kedge, winch and the clients set it.
        var socatPort = Processes.FreePort();
        using var socat = Processes.Start("socat", socatPort, $"TCP-LISTEN:{socatPort},bind=127.0.0.1,reuseaddr,fork,nodelay", $"TCP:127.0.0.1:{echo.Port},nodelay");
        var socatTlsInner = Processes.FreePort();
        var socatTlsOuter = Processes.FreePort();
        using var socatTlsServer = Processes.Start("socat", socatTlsInner,
            $"OPENSSL-LISTEN:{socatTlsInner},bind=127.0.0.1,reuseaddr,fork,nodelay,cert={cert},key={key},cafile={caFile},verify=1", $"TCP:127.0.0.1:{echo.Port},nodelay");
        using var socatTlsClient = Processes.Start("socat", socatTlsOuter,
            $"TCP-LISTEN:{socatTlsOuter},bind=127.0.0.1,reuseaddr,fork,nodelay", $"OPENSSL:127.0.0.1:{socatTlsInner},nodelay,cert={clientCert},key={clientKey},cafile={caFile},commonname=kedge.load");

        // kedge with one tunnel route to the echo server, callers by client certificate; winch forward in front of it.
        var kedgePort = Processes.FreePort();
        var config = Path.Combine(dir.Path, "kedge.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Kedge": {
                "Server": { "BindAddress": "127.0.0.1", "HttpTlsPort": {{kedgePort}}, "GrpcTlsPort": 0, "HttpPort": {{Processes.FreePort()}},
                            "TlsCertFile": "{{cert}}", "TlsKeyFile": "{{key}}", "TlsClientCaFiles": [ "{{caFile}}" ], "LogLevel": "warn" },
                "TunnelRoutes": [ { "Name": "echo", "Host": "{{TargetHost}}", "Ports": [ {{echo.Port}} ], "Backend": "echo" } ],
                "HttpBackends": [ { "Name": "echo", "Static": { "Addresses": [ "127.0.0.1:{{echo.Port}}" ] } } ] } }
            """);
        using var kedge = Processes.StartKedge(kedgePort, $"--config={config}");
        var mapper = Path.Combine(dir.Path, "mapper.json");
        await File.WriteAllTextAsync(mapper, $$$"""{"routes":[{"direct":{"key":"{{{TargetHost}}}:{{{echo.Port}}}","url":"https://localhost:{{{kedgePort}}}"}}]}""");
        var winchPort = Processes.FreePort();
        using var winch = Processes.StartDll("winch.dll", winchPort, "forward", "--listen", $"127.0.0.1:{winchPort}", $"{TargetHost}:{echo.Port}",
            $"--server_mapper_config_path={mapper}", $"--client_tls_cert_file={clientCert}", $"--client_tls_key_file={clientKey}", $"--client_tls_root_ca_files={caFile}");

        await Processes.WaitForPortsAsync(socatPort, socatTlsInner, socatTlsOuter, kedgePort, winchPort);
        var paths = new (string Name, int Port, int Hops)[]
        {
            ("direct", echo.Port, 0), ("socat", socatPort, 1), ("socat+TLS", socatTlsOuter, 2), ("winch→kedge", winchPort, 2),
        };

        // Warm every path (JIT, the winch → kedge HTTP/2 connection).
        foreach (var path in paths)
        {
            await MeasureAsync(path.Port, 16);
        }

        var measured = paths.ToDictionary(p => p.Name, _ => new List<Measurement>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var path in paths)
            {
                measured[path.Name].Add(await MeasureAsync(path.Port, megabytes));
            }
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Tunnel run: {megabytes} MB each way per round, {rounds} rounds (median round), {Pings} round trips of {PingSize} bytes, {Opens} new connections; winch and kedge peak working set {Processes.PeakWorkingSetMb(winch):F0} / {Processes.PeakWorkingSetMb(kedge):F0} MB");
        report.AppendLine();
        report.AppendLine("| path | hops | MB/s each way | round trip p50 µs | p99 µs | added p50 µs per hop | open + first echo p50 µs |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var direct = Median(measured["direct"]);
        var results = new Dictionary<string, Measurement>();
        foreach (var path in paths)
        {
            var m = Median(measured[path.Name]);
            results[path.Name] = m;
            var added = path.Hops == 0 ? "-" : ((m.RoundTripP50 - direct.RoundTripP50) / path.Hops).ToString("F0", CultureInfo.InvariantCulture);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {path.Name} | {path.Hops} | {m.MegabytesPerSecond:F0} | {m.RoundTripP50:F0} | {m.RoundTripP99:F0} | {added} | {m.OpenP50:F0} |");
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"- throughput winch→kedge ÷ socat+TLS {results["winch→kedge"].MegabytesPerSecond / results["socat+TLS"].MegabytesPerSecond:F2}x, ÷ socat {results["winch→kedge"].MegabytesPerSecond / results["socat"].MegabytesPerSecond:F2}x");
        report.AppendLine(CultureInfo.InvariantCulture, $"- round trip p50 winch→kedge ÷ socat+TLS {results["winch→kedge"].RoundTripP50 / results["socat+TLS"].RoundTripP50:F2}x; tunnel open p50 ÷ socat+TLS {results["winch→kedge"].OpenP50 / results["socat+TLS"].OpenP50:F2}x");
        Console.WriteLine(report);
        await File.WriteAllTextAsync("tunnel-results.md", report.ToString());
        return 0;
    }

    private static Measurement Median(List<Measurement> rounds) => rounds.OrderBy(m => m.MegabytesPerSecond).ElementAt(rounds.Count / 2);

    private static async Task<Measurement> MeasureAsync(int port, long megabytes)
    {
        var throughput = await ThroughputAsync(port, megabytes * 1024 * 1024);
        var (p50, p99) = await RoundTripsAsync(port);
        var open = await OpensAsync(port);
        return new Measurement(throughput, p50, p99, open);
    }

    // One connection: write the bytes while reading their echo; MB/s from the first write to the last byte back.
    private static async Task<double> ThroughputAsync(int port, long bytes)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var watch = Stopwatch.StartNew();
        var writing = Task.Run(async () =>
        {
            var chunk = new byte[ChunkSize];
            Random.Shared.NextBytes(chunk);
            for (long sent = 0; sent < bytes; sent += ChunkSize)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(ChunkSize, bytes - sent)));
            }
        });
        var buffer = new byte[ChunkSize];
        long received = 0;
        while (received < bytes)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                throw new IOException($"the echo on port {port} ended after {received} of {bytes} bytes");
            }

            received += read;
        }

        await writing;
        return bytes / 1024.0 / 1024.0 / watch.Elapsed.TotalSeconds;
    }

    private static async Task<(double P50, double P99)> RoundTripsAsync(int port)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var ping = new byte[PingSize];
        var pong = new byte[PingSize];
        var times = new double[Pings];
        for (var i = -200; i < Pings; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await stream.WriteAsync(ping);
            await stream.ReadExactlyAsync(pong);
            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        Array.Sort(times);
        return (times[Pings / 2], times[Pings * 99 / 100]);
    }

    // A new connection each time: connect, one byte echoed (for winch → kedge: a new tunnel on the pooled connection).
    private static async Task<double> OpensAsync(int port)
    {
        var times = new double[Opens];
        var one = new byte[1];
        for (var i = 0; i < Opens; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync(one);
            await stream.ReadExactlyAsync(one);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(times);
        return times[Opens / 2];
    }

    private sealed record Measurement(double MegabytesPerSecond, double RoundTripP50, double RoundTripP99, double OpenP50);
}
