using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

public sealed class KedgeProgramTests : IDisposable
{
    private const string Director = """{"http":{"routes":[{"backend_name":"orders","host_matcher":"orders.shop.svc.cluster-b.kedge","proxy_mode":"REVERSE_PROXY"}]},"grpc":{"routes":[{"backendName":"greeter","serviceNameMatcher":"kedge.testing.Greeter"}]}}""";
    private const string BackendPool = """{"http":{"backends":[{"name":"orders","host":{"dns_name":"localhost","port":8080}}]},"grpc":{"backends":[{"name":"greeter","srv":{"dns_name":"_grpc._tcp.greeter.hello.svc.cluster.local"}}]}}""";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string content)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Run_UnknownFlag_FailsNamingItAndSuggesting()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_prot=8443");

        Assert.Equal(2, code);
        Assert.Contains("server_http_tls_prot", error, StringComparison.Ordinal);
        Assert.Contains("server_http_tls_port", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Help_PrintsFlagsAndExitsZero()
    {
        var (code, output, _) = await KedgeCommandLine.RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Contains("--kedge_config_director_config_path", output, StringComparison.Ordinal);
        Assert.Contains("--print_config", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoConfiguration_FailsWithHowToFix()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0");

        Assert.Equal(2, code);
        Assert.Contains("No routing configuration", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingTlsFiles_ListedWithEveryConfigError()
    {
        var director = Write("director.json", """{"http":{"routes":[{"backend_name":"Bad-Name","colour":"red"}]},"grpc":{}}""");
        var backendPool = Write("backendpool.json", """{"http":{},"grpc":{}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync(
            $"--kedge_config_director_config_path={director}",
            "--kedge_config_backendpool_config_path", backendPool,
            "--server_tls_cert_file=" + _dir.Combine("missing.crt"));

        Assert.Equal(2, code);
        Assert.Contains("--server_tls_cert_file and --server_tls_key_file are required", error, StringComparison.Ordinal);
        Assert.Contains("missing.crt' does not exist", error, StringComparison.Ordinal);
        Assert.Contains("colour", error, StringComparison.Ordinal);
        Assert.Contains("Bad-Name", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EmptyClientCaFile_RefusedRatherThanChecksSwitchedOff()
    {
        using var ca = TestCertificateAuthority.Create();
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), _dir.Combine("tls"));
        var emptyCa = Write("empty-ca.crt", "");
        var director = Write("director.json", Director);
        var backendPool = Write("backendpool.json", BackendPool);

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", $"--server_tls_client_ca_files={emptyCa}",
            $"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}");

        Assert.Equal(2, code);
        Assert.Contains("empty-ca.crt' holds no certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BackendTlsFileNotPem_ListedAtStart()
    {
        var notPem = Write("client.crt", "not a certificate");
        var native = Write("kedge.json", $$$"""{"Kedge":{"HttpBackends":[{"Name":"b1","Static":{"Addresses":["127.0.0.1:1"]},"Tls":{"ClientCertificateFile":"{{{notPem}}}","ClientKeyFile":"{{{notPem}}}"}}]}}""");
        using var ca = TestCertificateAuthority.Create();
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), _dir.Combine("tls"));

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", $"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.HttpBackends[0].Tls: the certificate files could not be loaded as PEM", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MalformedJson_ClearError()
    {
        var director = Write("director.json", """{"http":{"routes":[""");
        var backendPool = Write("backendpool.json", BackendPool);

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}", "--print-config");

        Assert.Equal(2, code);
        Assert.Contains("director config", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_PrintConfig_TranslatesGoFilesToNativeJson()
    {
        var director = Write("director.json", Director);
        var backendPool = Write("backendpool.json", BackendPool);

        var (code, output, error) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}", "--print-config");

        Assert.True(code == 0, error);
        Assert.Contains("\"Kedge\"", output, StringComparison.Ordinal);
        Assert.Contains("orders.shop.svc.cluster-b.kedge", output, StringComparison.Ordinal);
        Assert.Contains("ReverseProxy", output, StringComparison.Ordinal);
        Assert.Contains("_grpc._tcp.greeter.hello.svc.cluster.local", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PrintConfigOutput_IsAcceptedAsNativeConfig()
    {
        var director = Write("director.json", Director);
        var backendPool = Write("backendpool.json", BackendPool);
        var (_, native, _) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}", "--print-config");
        var nativeFile = Write("kedge.json", native);

        var (code, again, error) = await KedgeCommandLine.RunAsync($"--config={nativeFile}", "--print-config");

        Assert.True(code == 0, error);
        Assert.Equal(native, again);
    }

    [Fact]
    public async Task Run_EnvironmentVariables_NativeConfigurationTheDotnetWay()
    {
        var variables = new Dictionary<string, string>
        {
            ["Kedge__HttpRoutes__0__Backend"] = "orders",
            ["Kedge__HttpRoutes__0__Host"] = "orders.from-env.kedge",
            ["Kedge__HttpBackends__0__Name"] = "orders",
            ["Kedge__HttpBackends__0__Static__Addresses__0"] = "127.0.0.1:8080",
        };
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            var (code, output, error) = await KedgeCommandLine.RunAsync("--print-config");

            Assert.True(code == 0, error);
            Assert.Contains("orders.from-env.kedge", output, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1:8080", output, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public async Task Run_NativeConfigWithUnknownKey_FailsNamingIt()
    {
        var native = Write("kedge.json", """{"Kedge":{"HttpRoutes":[{"Backend":"a","Hots":"typo"}]}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--print-config");

        Assert.Equal(2, code);
        Assert.Contains("Hots", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeServerSection_ListenersFromConfigAndFlagsWin()
    {
        using var ca = TestCertificateAuthority.Create();
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), _dir.Combine("tls"));
        var (configAdmin, flagAdmin) = (FreePort(), FreePort());
        var native = Write("kedge.json", $$$"""
            { "Kedge": {
                "Server": { "BindAddress": "127.0.0.1", "HttpTlsPort": -1, "GrpcTlsPort": 0, "HttpPort": {{{configAdmin}}},
                            "TlsCertFile": "{{{cert}}}", "TlsKeyFile": "{{{key}}}" },
                "HttpRoutes": [ { "Backend": "b1", "Host": "x.kedge" } ],
                "HttpBackends": [ { "Name": "b1", "Static": { "Addresses": [ "127.0.0.1:9" ] } } ] } }
            """);
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var run = KedgeProgram.RunAsync([$"--config={native}", $"--server_http_port={flagAdmin}"], output, error, stop.Token);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{flagAdmin}") };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? ready = null;
        while (ready is null && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            try
            {
                ready = await admin.GetStringAsync("/readyz");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        await stop.CancelAsync();
        var code = await run;

        Assert.True(ready == "ready", error.ToString());
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task Run_NativeServerSectionUnknownKey_FailsNamingIt()
    {
        var native = Write("kedge.json", """{"Kedge":{"Server":{"HttpTlsPrt":1},"HttpRoutes":[],"HttpBackends":[]}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}");

        Assert.Equal(2, code);
        Assert.Contains("HttpTlsPrt", error, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Run_NativeAndGoConfigTogether_Refused()
    {
        var director = Write("director.json", Director);
        var native = Write("kedge.json", """{"Kedge":{}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--config={native}", "--print-config");

        Assert.Equal(2, code);
        Assert.Contains("not both", error, StringComparison.Ordinal);
    }

    private string[] GoConfigArgs() =>
    [
        "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0",
        "--kedge_config_director_config_path=" + Write("director.json", """{"http":{},"grpc":{}}"""),
        "--kedge_config_backendpool_config_path=" + Write("backendpool.json", """{"http":{},"grpc":{}}"""),
    ];

    [Fact]
    public async Task Run_StaticTokenAndOidcFlags_RefusedAsMutuallyExclusive()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync([.. GoConfigArgs(), "--unsafe_bearer_token_proxy_auth=t", "--server_oidc_provider_url=https://issuer.example"]);

        Assert.Equal(2, code);
        Assert.Contains("cannot enable both", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OidcWithDocumentedAliasButNoClientId_NamesOnlyWhatIsMissing()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync([.. GoConfigArgs(), "--server_oidc_provider_url=https://issuer.example", "--server_oidc_required_perm=proxy", "--server_oidc_perms_claim=perms"]);

        Assert.Equal(2, code);
        Assert.Contains("server_oidc_client_id", error, StringComparison.Ordinal);
        Assert.DoesNotContain("server_oidc_whitelist_perms", error, StringComparison.Ordinal);
        Assert.DoesNotContain("server_oidc_perms_claim", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeAuthSectionWithUnknownKey_FailsNamingTheSection()
    {
        var config = Write("kedge.json", """{"Kedge":{"Auth":{"OidcProviderUrl":"https://issuer.example","OidcClientID":"kedge","OidcPermClaim":"perms"}}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--config=" + config);

        Assert.Equal(2, code);
        Assert.Contains("Kedge:Auth", error, StringComparison.Ordinal);
        Assert.Contains("OidcPermClaim", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DiscoveryWithoutSuffix_FailsWithGoMessage()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--kedge_config_director_config={\"grpc\":{},\"http\":{}}", "--kedge_config_backendpool_config={\"grpc\":{},\"http\":{}}", "--kedge_dynamic_routings_enabled");

        Assert.Equal(2, code);
        Assert.Contains("required flag 'discovery_external_domain_suffix' is not specified.", error, StringComparison.Ordinal);
    }

    private const string OrdersOnly = """{"grpc":{},"http":{"routes":[{"backend_name":"orders","host_matcher":"orders.shop.svc.cluster-b.kedge"}]}}""";

    [Fact]
    public async Task Run_K8sBackendWithoutClusterAccess_FailsNamingTheSettings()
    {
        var backendPool = """{"grpc":{},"http":{"backends":[{"name":"orders","k8s":{"dns_port_name":"orders.shop:http"}}]}}""";

        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--kedge_config_director_config=" + OrdersOnly, "--kedge_config_backendpool_config=" + backendPool, "--k8sclient_kubeconfig_path=" + _dir.Combine("missing-kubeconfig"));

        Assert.Equal(2, code);
        Assert.Contains("Kubernetes: the kubeconfig", error, StringComparison.Ordinal);
        Assert.Contains("--k8sclient_kubeconfig_path", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadK8sTarget_FailsWithGoMessage()
    {
        var backendPool = """{"grpc":{},"http":{"backends":[{"name":"orders","k8s":{"dns_port_name":"http://orders.shop"}}]}}""";

        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--kedge_config_director_config=" + OrdersOnly, "--kedge_config_backendpool_config=" + backendPool, "--k8sclient_kubeapi_url=http://127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Contains("--kedge_config_backendpool_config (backendpool config): $.http.backends[0].k8s.dns_port_name: Bad targetEntry name. It cannot contain any schema.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeKubernetesAndDiscoverySections_ReadAndChecked()
    {
        var config = Write("kedge.json", """
            { "Kedge": {
                "Kubernetes": { "ApiUrl": "not a url" },
                "Discovery": { "Enabled": true, "ExternalDomainSuffix": "cluster-a.kedge", "Unknown": 1 },
                "HttpRoutes": [ { "Backend": "orders", "Host": "orders.example.com" } ],
                "HttpBackends": [ { "Name": "orders", "K8s": { "DnsPortName": "orders.shop:http" } } ] } }
            """);

        var (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--config=" + config);

        Assert.Equal(2, code);
        Assert.Contains("Kedge:Discovery:", error, StringComparison.Ordinal);
        Assert.Contains("Unknown", error, StringComparison.Ordinal);
        File.WriteAllText(config, File.ReadAllText(config).Replace(", \"Unknown\": 1", string.Empty, StringComparison.Ordinal));
        (code, _, error) = await KedgeCommandLine.RunAsync("--server_http_tls_port=0", "--server_grpc_tls_port=0", "--config=" + config);
        Assert.Equal(2, code);
        Assert.Contains("the API server URL 'not a url' is not an absolute http(s) URL", error, StringComparison.Ordinal);
    }
}
