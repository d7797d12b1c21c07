using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>Runs the built <c>kedge</c> as a user would: a separate process, Go kedge flags and JSON files, SIGTERM.</summary>
public sealed class KedgeProcessTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync() => _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Process_GoConfigFiles_ServesReloadsAndDrainsOnSigterm()
    {
        var (serverCert, serverKey, clientCert, clientKey, caFile, director, backendPool) = await WriteGoSetupAsync();
        var (tlsPort, adminPort) = (FreePort(), FreePort());

        using var kedge = StartKedge(
            "--server_bind_address=127.0.0.1",
            $"--server_http_tls_port={tlsPort}",
            "--server_grpc_tls_port=0",
            $"--server_http_port={adminPort}",
            $"--server_tls_cert_file={serverCert}",
            $"--server_tls_key_file={serverKey}",
            $"--server_tls_client_ca_files={caFile}",
            $"--kedge_config_director_config_path={director}",
            $"--kedge_config_backendpool_config_path={backendPool}",
            "--lbtransport_failed_target_backoff_duration=2s",
            "--log_level=info");
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, kedge);

            using var client = CreateClient(tlsPort, clientCert, clientKey, caFile);
            using var http = new HttpClient(client.CreateHandler());

            var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.kedge/first", LoopbackServer.JsonOptions);
            Assert.Equal("orders.shop.svc.cluster-b.kedge", echo!.Host);

            // An invalid change is rejected: the last good configuration keeps serving.
            await File.WriteAllTextAsync(director, """{"http":{"routes":[{"backend_name":"NOT VALID"}]},"grpc":{}}""");
            // The counter is exported at 0 from the start: wait for the rejection itself.
            await WaitUntilAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await admin.GetStringAsync("/metrics"), @"(?m)^kedge_config_reload_failures_total [1-9]"), kedge);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://orders.shop.svc.cluster-b.kedge/still")).StatusCode);

            // A valid change is applied.
            await File.WriteAllTextAsync(director, """{"http":{"routes":[{"backend_name":"orders","host_matcher":"renamed.shop.svc.cluster-b.kedge"}]},"grpc":{}}""");
            await WaitUntilAsync(async () => (await http.GetAsync("http://renamed.shop.svc.cluster-b.kedge/")).StatusCode == HttpStatusCode.OK, kedge);
            Assert.Equal(HttpStatusCode.BadGateway, (await http.GetAsync("http://orders.shop.svc.cluster-b.kedge/")).StatusCode);

            Assert.Equal(0, Sigterm(kedge));
            Assert.True(kedge.WaitForExit(TimeSpan.FromSeconds(30)), "kedge did not exit after SIGTERM");
            kedge.WaitForExit(); // drains the redirected output
            Assert.True(kedge.ExitCode == 0, $"exit code {kedge.ExitCode}:\n{Tail()}");
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill();
            }
        }
    }

    [Fact]
    public async Task Process_GoKubernetesFlags_DiscoversAndRoutesToPods()
    {
        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.test"), _dir.Combine("server"));
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var caFile = _ca.WriteCaPem(_dir.Path);
        await using var api = await KubernetesApiServer.StartAsync(_ca.IssueServerCertificate());
        api.RequiredToken = "projected-token";
        var tokenFile = _dir.Combine("token");
        await File.WriteAllTextAsync(tokenFile, "projected-token\n");
        api.Apply(KubernetesApiServer.Service("shop", "orders", new Dictionary<string, string> { ["acme.io/kedge-exposed"] = "true" }, null, ("http", 80, "8080")));
        api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-1", [("http", _backend.Port)], [("127.0.0.1", true, false)]));
        var (tlsPort, adminPort) = (FreePort(), FreePort());

        // In-cluster style: the API address from KUBERNETES_SERVICE_HOST/PORT, CA and token from files.
        using var kedge = StartKedge(
            new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1", ["KUBERNETES_SERVICE_PORT"] = api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            "--server_bind_address=127.0.0.1",
            $"--server_http_tls_port={tlsPort}",
            "--server_grpc_tls_port=0",
            $"--server_http_port={adminPort}",
            $"--server_tls_cert_file={serverCert}",
            $"--server_tls_key_file={serverKey}",
            $"--server_tls_client_ca_files={caFile}",
            """--kedge_config_director_config={"grpc":{},"http":{}}""",
            """--kedge_config_backendpool_config={"grpc":{},"http":{}}""",
            $"--k8sclient_ca_file={caFile}",
            $"--k8client_token_file={tokenFile}",
            "--kedge_dynamic_routings_enabled",
            "--discovery_external_domain_suffix=cluster-b.kedge",
            "--discovery_label_annotation_prefix=acme.io/");
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, kedge);
            using var client = CreateClient(tlsPort, clientCert, clientKey, caFile);
            using var http = new HttpClient(client.CreateHandler());

            var echo = await http.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.kedge/pods", LoopbackServer.JsonOptions);

            Assert.Equal("orders.shop.svc.cluster-b.kedge", echo!.Host);
            Assert.Equal(0, Sigterm(kedge));
            Assert.True(kedge.WaitForExit(TimeSpan.FromSeconds(30)), "kedge did not exit after SIGTERM");
            Assert.Equal(0, kedge.ExitCode);
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill();
            }
        }
    }

    [Fact]
    public async Task Process_StaticBearerTokenAndProxyEnvironment_TokenCheckedAndEnvironmentProxyNeverUsed()
    {
        await using var trap = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        var (serverCert, serverKey, clientCert, clientKey, caFile, director, backendPool) = await WriteGoSetupAsync();
        var (tlsPort, adminPort) = (FreePort(), FreePort());
        var proxy = $"http://127.0.0.1:{trap.Port}";
        var environment = new Dictionary<string, string> { ["HTTP_PROXY"] = proxy, ["HTTPS_PROXY"] = proxy, ["ALL_PROXY"] = proxy, ["http_proxy"] = proxy, ["NO_PROXY"] = "" };

        using var kedge = StartKedge(environment,
            "--server_bind_address=127.0.0.1", $"--server_http_tls_port={tlsPort}", "--server_grpc_tls_port=0", $"--server_http_port={adminPort}",
            $"--server_tls_cert_file={serverCert}", $"--server_tls_key_file={serverKey}", $"--server_tls_client_ca_files={caFile}",
            $"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}",
            "--unsafe_bearer_token_proxy_auth=s3cret-token");
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, kedge);
            async Task<HttpStatusCode> StatusWithAsync(string token)
            {
                using var client = CreateClient(tlsPort, clientCert, clientKey, caFile, Kedge.Client.Tokens.KedgeTokenSource.FromValue("static", token));
                using var http = new HttpClient(client.CreateHandler());
                using var response = await http.GetAsync("http://orders.shop.svc.cluster-b.kedge/");
                return response.StatusCode;
            }

            var right = await StatusWithAsync("s3cret-token");
            var wrong = await StatusWithAsync("s3cret-tokem");

            Assert.Equal(HttpStatusCode.OK, right);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong);
            Assert.Equal(1, _backend.RequestCount);
            Assert.Equal(0, trap.RequestCount);
        }
        finally
        {
            Sigterm(kedge);
            await kedge.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
    }

    /// <summary>A Kedge.Client sending every name to the kedge process on <paramref name="tlsPort"/> with the caller's certificate.</summary>
    private KedgeClient CreateClient(int tlsPort, string clientCert, string clientKey, string caFile, Kedge.Client.Tokens.KedgeTokenSource? token = null)
    {
        var options = new Kedge.Client.Configuration.KedgeClientOptions
        {
            Mapper = KedgeMapper.Single(new Uri($"https://localhost:{tlsPort}"), token),
            ClientCertificate = new() { CertificateFile = clientCert, KeyFile = clientKey },
        };
        options.KedgeCaFiles.Add(caFile);
        return KedgeClient.Create(options, _logs);
    }

    /// <summary>Certificates from the test CA and Go config files routing orders.shop.svc.cluster-b.kedge to the backend.</summary>
    private async Task<(string ServerCert, string ServerKey, string ClientCert, string ClientKey, string CaFile, string Director, string BackendPool)> WriteGoSetupAsync()
    {
        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.test"), _dir.Combine("server"));
        var (clientCert, clientKey) = TestCertificateAuthority.WritePem(_ca.IssueClientCertificate("caller"), _dir.Combine("client"));
        var caFile = _ca.WriteCaPem(_dir.Path);
        var director = _dir.Combine("director.json");
        var backendPool = _dir.Combine("backendpool.json");
        await File.WriteAllTextAsync(director, """{"http":{"routes":[{"backend_name":"orders","host_matcher":"orders.shop.svc.cluster-b.kedge"}]},"grpc":{}}""");
        await File.WriteAllTextAsync(backendPool, $$$"""{"http":{"backends":[{"name":"orders","host":{"dns_name":"localhost","port":{{{_backend.Port}}}}}]},"grpc":{}}""");
        return (serverCert, serverKey, clientCert, clientKey, caFile, director, backendPool);
    }

    internal static Process StartKedge(params string[] args) => StartKedge(new Dictionary<string, string>(), args);

    private static Process StartKedge(Dictionary<string, string> environment, params string[] args) => Start(args, environment, null, Log);

    /// <summary>Starts the built kedge with <paramref name="args"/>; every line of its stdout and stderr goes to <paramref name="line"/>.</summary>
    internal static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment, string? workingDirectory, Action<string?> line)
        => StartBuilt(typeof(KedgeProgram).Assembly.Location, args, environment, workingDirectory, line);

    /// <summary>Starts a built product (the kedge or winch assembly at <paramref name="assemblyPath"/>) with <c>dotnet</c>, as a user would run it.</summary>
    internal static Process StartBuilt(string assemblyPath, string[] args, IReadOnlyDictionary<string, string>? environment, string? workingDirectory, Action<string?> line)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(assemblyPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => line(e.Data);
        process.ErrorDataReceived += (_, e) => line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Output = new();

    private static void Log(string? line)
    {
        if (line is not null)
        {
            Output.Enqueue(line);
        }
    }

    internal static string Tail() => string.Join('\n', Output.TakeLast(25));

    internal static int Sigterm(Process process)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        return kill.ExitCode;
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, Process kedge)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(kedge.HasExited, $"kedge exited with {(kedge.HasExited ? kedge.ExitCode : 0)}");
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        Assert.Fail("condition not met within 30 s");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
