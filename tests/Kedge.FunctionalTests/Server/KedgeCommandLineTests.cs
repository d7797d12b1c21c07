using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>kedge's command line as a user meets it: --version, --help, --print-config, a port in use, the settings' winners.</summary>
public sealed partial class KedgeCommandLineTests : IDisposable
{
    private const string Director = """{"http":{"routes":[{"backend_name":"orders","host_matcher":"orders.shop.svc.cluster-b.kedge"}]},"grpc":{}}""";
    private const string BackendPool = """{"http":{"backends":[{"name":"orders","host":{"dns_name":"localhost","port":8080}}]},"grpc":{}}""";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string content)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Run_Version_PrintsVersionAndRuntimeAndExitsZero()
    {
        var (code, output, _) = await KedgeCommandLine.RunAsync("--version");

        Assert.Equal(0, code);
        Assert.Matches(@"^kedge \d+\.\d+\.\d+\S* \(\.NET \d+", output);
    }

    [Fact]
    public async Task Run_PortInUse_ExitsOneNamingThePortAndItsFlag()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_bind_address=127.0.0.1", "--server_http_tls_port=0", "--server_grpc_tls_port=0", $"--server_http_port={port}",
            "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool);

        Assert.Equal(1, code);
        Assert.Contains($"port {port} (--server_http_port) is in use on 127.0.0.1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_PortFromEnvironmentInUse_ExitsOneNamingTheVariable()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["Kedge__Server__HttpPort"] = port.ToString(CultureInfo.InvariantCulture);
        foreach (var arg in new[] { typeof(KedgeProgram).Assembly.Location, "--server_bind_address=127.0.0.1", "--server_http_tls_port=0", "--server_grpc_tls_port=0",
            "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool })
        {
            start.ArgumentList.Add(arg);
        }

        using var kedge = Process.Start(start)!;
        var error = kedge.StandardError.ReadToEndAsync();
        var output = kedge.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            // A kedge that ignored the environment's port would start and keep running: fail, do not hang.
            await kedge.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill(entireProcessTree: true);
            }
        }

        _ = await output;
        Assert.True(kedge.ExitCode == 1, $"exit code {kedge.ExitCode}: {await error}");
        Assert.Contains($"port {port} ($Kedge__Server__HttpPort) is in use on 127.0.0.1", await error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PrintConfigOfInvalidRouting_ExitsNonZeroListingEveryError()
    {
        var native = Write("kedge.json", """
            { "Kedge": {
                "HttpRoutes": [ { "Backend": "missing", "Host": "a.kedge" }, { "Backend": "orders", "Host": "b.kedge", "PathRules": [ "api" ] } ],
                "HttpBackends": [ { "Name": "orders", "Static": { "Addresses": [ "127.0.0.1:9" ] } } ] } }
            """);

        var (code, output, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--print-config", "--server_metrics_path=metrics");

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains(native + ": $.Kedge.HttpRoutes[0].Backend: names the backend 'missing'", error, StringComparison.Ordinal);
        Assert.Contains(native + ": $.Kedge.HttpRoutes[1].PathRules: 'api' must start with '/'", error, StringComparison.Ordinal);
        Assert.Contains("--server_metrics_path: 'metrics' must start with '/'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PrintConfigWithSecretSetting_LeavesTheSecretOutAndSaysHowToGiveIt()
    {
        var (code, printed, winners) = await KedgeCommandLine.RunAsync(
            "--kedge_config_director_config_path=" + Write("director.json", Director), "--kedge_config_backendpool_config_path=" + Write("backendpool.json", BackendPool),
            "--unsafe_bearer_token_proxy_auth=s3cret-token", "--server_http_max_read_timeout=30s", "--print-config");

        Assert.True(code == 0, winners);
        Assert.DoesNotContain("s3cret-token", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-token", winners, StringComparison.Ordinal);
        Assert.Contains("\"HttpMaxReadTimeout\": \"00:00:30\"", printed, StringComparison.Ordinal);
        Assert.Contains("kedge: note: Kedge:Auth:UnsafeBearerToken is set and left out of the printed configuration; give it to the new kedge as $Kedge__Auth__UnsafeBearerToken (or --unsafe_bearer_token_proxy_auth).", winners, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PrintConfigRoundTrip_PrintedFileStartsTheSameKedgeAndDebugConfigShowsWinners()
    {
        var admin = FreePort();
        var (code, printed, winners) = await KedgeCommandLine.RunAsync(
            "--kedge_config_director_config_path=" + Write("director.json", Director), "--kedge_config_backendpool_config_path=" + Write("backendpool.json", BackendPool),
            "--server_bind_address=127.0.0.1", "--server_http_tls_port=0", "--server_grpc_tls_port=0", $"--server_http_port={admin}", "--server_http_max_read_timeout=30s", "--print-config");
        Assert.True(code == 0, winners);
        Assert.Matches(@"Kedge:Server:HttpMaxReadTimeout\s+--server_http_max_read_timeout\s+30s\s+command line", winners);
        var file = Write("printed.json", printed);

        // Printed again from its own output: the same file, each setting now won by the file.
        var (again, reprinted, rewinners) = await KedgeCommandLine.RunAsync($"--config={file}", "--print-config");
        Assert.True(again == 0, rewinners);
        Assert.Equal(printed, reprinted);
        Assert.Matches(@"Kedge:Server:HttpMaxReadTimeout\s+--server_http_max_read_timeout\s+30s\s+" + Regex.Escape(file), rewinners);

        // Started from it, with an environment-free command line: the admin port is the printed one.
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var run = KedgeProgram.RunAsync([$"--config={file}", "--server_metrics_path=/m"], output, error, stop.Token);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}") };
            var config = await Eventually.SucceedsAsync(() => client.GetStringAsync("/debug/config"), "kedge serves /debug/config on the printed admin port: " + error);
            var settings = JsonDocument.Parse(config).RootElement.GetProperty("settings").EnumerateArray()
                .ToDictionary(s => s.GetProperty("key").GetString()!, s => (Value: s.GetProperty("value").ToString(), Source: s.GetProperty("source").GetString()));
            Assert.Equal(("00:00:30", file), settings["Kedge:Server:HttpMaxReadTimeout"]);
            Assert.Equal(("/m", "command line"), settings["Kedge:Server:MetricsPath"]);
            Assert.Equal(("0", file), settings["Kedge:Server:GrpcTlsPort"]);
            Assert.Equal(("00:00:20", "default"), settings["Kedge:Server:ShutdownTimeout"]);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public async Task Run_Help_EveryFlagListedIsBoundAndSaysWhatTheModelSays()
    {
        var (code, help, _) = await KedgeCommandLine.RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("the command line wins, then the environment, then the native file, then the default", help.ReplaceLineEndings(" "), StringComparison.Ordinal);

        var listed = FlagLine().Matches(help).Select(m => (Name: m.Groups["name"].Value, Help: m.Groups["help"].Value)).ToList();
        var settingFlags = KedgeSettingCatalog.All.SelectMany(s => s.Flags.Select(f => (Flag: f.Name, Setting: s))).ToDictionary(x => x.Flag, x => x.Setting);
        string[] routingAndCommand = ["config", "print_config", "version", "kedge_config_director_config", "kedge_config_director_config_path", "kedge_config_backendpool_config", "kedge_config_backendpool_config_path"];
        Assert.Equal(KedgeProgram.Flags.Count, listed.Count);
        foreach (var (name, text) in listed)
        {
            if (settingFlags.TryGetValue(name, out var setting))
            {
                // The native key in the help is the setting's, and the reload note is there exactly when the model says so.
                Assert.Contains($"[{setting.Path}", text, StringComparison.Ordinal);
                Assert.Equal(setting.Reload is not null, text.Contains("re-read", StringComparison.Ordinal));
            }
            else
            {
                Assert.True(routingAndCommand.Contains(name) || text.Contains("not used", StringComparison.Ordinal), $"--{name} is neither a setting, a routing source, a command nor marked 'not used'");
            }
        }

        // What the help says reloads, as flags: the certificate, key and client CA files, the Kubernetes token, and the
        // routing files (the client CA reload is proven by KedgeClientCaReloadTests).
        Assert.Equal(
            ["config", "k8client_token_file", "k8sclient_token_file", "kedge_config_backendpool_config_path", "kedge_config_director_config_path", "server_tls_cert_file", "server_tls_client_ca_files", "server_tls_key_file"],
            listed.Where(f => f.Help.Contains("re-read", StringComparison.Ordinal) || f.Help.Contains("watched", StringComparison.OrdinalIgnoreCase)).Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_NativeConfigFileChanged_RoutingReloadedAsHelpSays()
    {
        var admin = FreePort();
        var file = Write("kedge.json", NativeWithHost(admin, "first.kedge"));
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var run = KedgeProgram.RunAsync([$"--config={file}"], output, error, stop.Token);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}") };
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/debug/config")).Contains("first.kedge", StringComparison.Ordinal), "the first configuration is served: " + error);
            File.WriteAllText(file, NativeWithHost(admin, "second.kedge"));
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/debug/config")).Contains("second.kedge", StringComparison.Ordinal), "the changed file is applied");
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public async Task Run_AdminBindAddress_AdminOnItsAddressProxyOnTheBindAddress()
    {
        using var ca = TestCertificateAuthority.Create();
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), _dir.Combine("tls"));
        var (proxy, admin) = (FreePort(), FreePort());
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var run = KedgeProgram.RunAsync(
            ["--server_bind_address=127.0.0.1", "--server_admin_bind_address=::1", $"--server_http_tls_port={proxy}", "--server_grpc_tls_port=0", $"--server_http_port={admin}",
             $"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool],
            output, error, stop.Token);
        try
        {
            using var client = new HttpClient();
            Assert.Equal("kedge isok", await Eventually.SucceedsAsync(() => client.GetStringAsync($"http://[::1]:{admin}/_healthz"), "the admin port answers on ::1: " + error));
            Assert.True(await ConnectsAsync(IPAddress.Loopback, proxy), "the proxy port listens on 127.0.0.1");
            Assert.False(await ConnectsAsync(IPAddress.Loopback, admin), "the admin port does not listen on 127.0.0.1");
            Assert.False(await ConnectsAsync(IPAddress.IPv6Loopback, proxy), "the proxy port does not listen on ::1");
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public async Task Run_AdminBindAddressNotAnAddress_FailsNamingTheFlag()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_admin_bind_address=localhost", "--server_http_tls_port=0", "--server_grpc_tls_port=0",
            "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool);

        Assert.Equal(2, code);
        Assert.Contains("--server_admin_bind_address: 'localhost' is not an IP address", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AdminBindAddressNotOnThisHost_ExitsOneNamingTheListeners()
    {
        // 192.0.2.1 (TEST-NET-1) is an address no interface here has: the bind fails locally, nothing is sent.
        var admin = FreePort();
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_admin_bind_address=192.0.2.1", $"--server_http_port={admin}", "--server_http_tls_port=0", "--server_grpc_tls_port=0",
            "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool);

        Assert.True(code == 1, error);
        Assert.Contains("kedge: cannot start: a listener could not bind:", error, StringComparison.Ordinal);
        Assert.Contains("Kedge:Server:AdminBindAddress=192.0.2.1 (--server_admin_bind_address)", error, StringComparison.Ordinal);
        Assert.Contains($"Kedge:Server:HttpPort={admin} (--server_http_port)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EveryListenerDisabled_RefusedRatherThanKestrelsDefaultPort()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_port=0", "--server_http_tls_port=0", "--server_grpc_tls_port=0",
            "--kedge_config_director_config=" + Director, "--kedge_config_backendpool_config=" + BackendPool);

        Assert.Equal(2, code);
        Assert.Contains("are all 0: kedge would listen nowhere", error, StringComparison.Ordinal);
    }

    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Run_GoFilesAndCertificateChanged_ReloadedAsHelpSays()
    {
        using var ca = TestCertificateAuthority.Create();
        var secret = new KubernetesSecretVolume(_dir.Combine("secret"));
        using (var first = ca.IssueServerCertificate("first.kedge.test"))
        {
            secret.Update(first);
        }

        var director = Write("director.json", Director);
        var backendPool = Write("backendpool.json", BackendPool);
        var (proxy, admin) = (FreePort(), FreePort());
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var run = KedgeProgram.RunAsync(
            ["--server_bind_address=127.0.0.1", $"--server_http_tls_port={proxy}", "--server_grpc_tls_port=0", $"--server_http_port={admin}",
             $"--server_tls_cert_file={secret.CertificatePath}", $"--server_tls_key_file={secret.KeyPath}",
             $"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}"],
            output, error, stop.Token);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}") };
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/readyz")) == "ready", "kedge starts: " + error);
            Assert.Contains("first.kedge.test", await ServerCertificateSubjectAsync(proxy), StringComparison.Ordinal);

            // --kedge_config_backendpool_config_path: watched.
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/debug/config")).Contains(":8080\"", StringComparison.Ordinal), "the backend's endpoints are resolved");
            File.WriteAllText(backendPool, BackendPool.Replace("8080", "8081", StringComparison.Ordinal));
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/debug/config")).Contains(":8081\"", StringComparison.Ordinal), "the changed backendpool file is applied");

            // --kedge_config_director_config_path: watched.
            File.WriteAllText(director, Director.Replace("orders.shop", "renamed.shop", StringComparison.Ordinal));
            await Eventually.TrueAsync(async () => (await TryGetAsync(client, "/debug/config")).Contains("renamed.shop", StringComparison.Ordinal), "the changed director file is applied");

            // --server_tls_cert_file and --server_tls_key_file: re-read when the files change.
            using (var second = ca.IssueServerCertificate("second.kedge.test"))
            {
                secret.Update(second);
            }

            await Eventually.TrueAsync(async () => (await ServerCertificateSubjectAsync(proxy)).Contains("second.kedge.test", StringComparison.Ordinal), "new connections get the new certificate");
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    /// <summary>The DNS names of the certificate a new TLS connection to <paramref name="port"/> gets.</summary>
    private static async Task<string> ServerCertificateSubjectAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        System.Security.Cryptography.X509Certificates.X509Certificate2? seen = null;
        // Only the certificate's names matter here; the chain is the test CA's, the host name differs on purpose.
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate);
            return seen is not null;
        });
        await tls.AuthenticateAsClientAsync("kedge.test");
        using var certificate = seen!;
        return string.Join(",", certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()));
    }

    private static string NativeWithHost(int admin, string host) => $$"""
        { "Kedge": {
            "Server": { "BindAddress": "127.0.0.1", "HttpTlsPort": 0, "GrpcTlsPort": 0, "HttpPort": {{admin}} },
            "HttpRoutes": [ { "Backend": "b1", "Host": "{{host}}" } ],
            "HttpBackends": [ { "Name": "b1", "Static": { "Addresses": [ "127.0.0.1:9" ] } } ] } }
        """;

    private static async Task<string> TryGetAsync(HttpClient client, string path)
    {
        try
        {
            return await client.GetStringAsync(path);
        }
        catch (HttpRequestException)
        {
            return string.Empty;
        }
    }

    [GeneratedRegex(@"^\s+--(?<name>\w+)[^\n]*?\s{3}(?<help>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex FlagLine();
}
