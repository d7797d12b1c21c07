using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// Routing configuration errors as a user meets them: the real <c>kedge</c> process (or <see cref="KedgeProgram.RunAsync"/>),
/// every error listed once, at its file and JSON path (or environment variable), in kedge's words.
/// </summary>
public sealed class KedgeRoutingConfigErrorTests : IDisposable
{
    private const string LastGood = "last good configuration";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Process_GoBackendPoolBadK8sTarget_ListedOnceAtFileAndPathWithoutLastGoodLine()
    {
        var director = Write("director.json", """{"http":{"routes":[{"backend_name":"b1"}]},"grpc":{}}""");
        var backendPool = Write("backendpool.json", """{"http":{"backends":[{"name":"b1","k8s":{"dns_port_name":"service1.ns1:123:123"}}]},"grpc":{}}""");
        var token = Write("token", "t");

        // Cluster access is configured (the API is never called: kedge stops before), so only the target is wrong.
        var (code, output) = await RunProcessAsync(
            [$"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}",
             "--server_http_tls_port=0", "--server_grpc_tls_port=0", $"--server_http_port={KedgeProcessTests.FreePort()}",
             "--k8sclient_kubeapi_url=https://127.0.0.1:1", $"--k8sclient_token_file={token}"]);

        Assert.Equal(2, code);
        Assert.True(Regex.Count(output, "bad targetEntry") == 1, output);
        Assert.Contains($"{backendPool} (backendpool config): $.http.backends[0].k8s.dns_port_name: bad targetEntry - it contains multiple \":\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain(LastGood, output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_NativeConfigWithSeveralErrors_ListsEveryOneAtItsJsonPath()
    {
        var native = Write("kedge.json", """
            {
              "Kedge": {
                "HttpRoutes": [ { "Backend": "b1", "Prot": 8080, "Port": "eighty", "ProxyMode": "Revers" } ],
                "HttpBackends": [ { "Name": "b1", "Static": { "Addresses": [ "127.0.0.1:1" ] }, "Tls": "yes" } ],
                "HttpAdhocRule": []
              }
            }
            """);

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.HttpRoutes[0].Prot: is not a setting here; remove it or use one of Name, Backend, Host, Port,", error, StringComparison.Ordinal);
        Assert.Contains($"{native}: $.Kedge.HttpRoutes[0].Port: 'eighty' is not a whole number", error, StringComparison.Ordinal);
        Assert.Contains($"{native}: $.Kedge.HttpRoutes[0].ProxyMode: 'Revers' is not one of Any, ReverseProxy, ForwardProxy", error, StringComparison.Ordinal);
        Assert.Contains($"{native}: $.Kedge.HttpBackends[0].Tls: must be an object", error, StringComparison.Ordinal);
        Assert.DoesNotContain("BinderOptions", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Kedge.Server.Configuration", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeConfigAdhocRulesKeyMisspelled_NamesTheKeyAndTheRightNames()
    {
        var native = Write("kedge.json", """{"Kedge":{"HttpAdhocRule":[{"DnsNameMatcher":"*.pods.cluster.local"}]}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.HttpAdhocRule: is not a setting here; remove it or use one of HttpRoutes, GrpcRoutes, HttpAdhocRules,", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeConfigBadJson_NamesFileLineAndColumnInKedgeWords()
    {
        var native = Write("kedge.json", "{\n  \"Kedge\": {\n    \"HttpRoutes\": [ { \"Backend\": \"b1\" } ]\n    \"HttpBackends\": []\n  }\n}\n");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}:4:5: is not valid JSON", error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Change the reader options", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeConfigDuplicateKey_NamesTheSecondAtItsPath()
    {
        var native = Write("kedge.json", """{"Kedge":{"HttpRoutes":[{"Backend":"b1","backend":"b2"}]}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.HttpRoutes[0].backend: is given twice", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NativeConfigInvalidValues_EveryValidationErrorAtItsJsonPath()
    {
        var native = Write("kedge.json", """
            {"Kedge":{
              "HttpRoutes":[{"Backend":"missing"}],
              "HttpBackends":[{"Name":"B","Static":{"Addresses":["127.0.0.1:1"]}},{"Name":"web","Static":{"Addresses":["127.0.0.1:1"]},"Host":{"DnsName":"web","Port":80}}]
            }}
            """);

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{native}: $.Kedge.HttpRoutes[0].Backend: names the backend 'missing'", error, StringComparison.Ordinal);
        Assert.Contains($"{native}: $.Kedge.HttpBackends[0].Name: 'B' must match ^[a-z_0-9.]{{2,64}}$", error, StringComparison.Ordinal);
        Assert.Contains($"{native}: $.Kedge.HttpBackends[1]: backend 'web' has 2 resolvers ('Static', 'Host')", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoDirectorFileEmpty_RefusedNamingFlagAndFileRatherThanReadAsNoRoutes()
    {
        // A file caught half-written (truncated, not yet filled) reads as empty: taking that as "no routes" would drop
        // every route on reload. It is an error, so a reload keeps the last good configuration.
        var director = Write("director.json", "  \n");
        var backendPool = Write("backendpool.json", """{"http":{"backends":[{"name":"web","host":{"dns_name":"web","port":80}}]},"grpc":{}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}",
            "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"--kedge_config_director_config_path: '{director}' is empty", error, StringComparison.Ordinal);
        Assert.Contains("{\"grpc\": {}, \"http\": {}}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoConfigInvalidValue_NamesTheFileAndProtoPath()
    {
        var director = Write("director.json", """{"http":{"routes":[{"backend_name":"web","path_rules":["api"]}]},"grpc":{}}""");
        var backendPool = Write("backendpool.json", """{"http":{"backends":[{"name":"web","host":{"dns_name":"web","port":80}}]},"grpc":{}}""");

        var (code, _, error) = await KedgeCommandLine.RunAsync($"--kedge_config_director_config_path={director}", $"--kedge_config_backendpool_config_path={backendPool}",
            "--server_http_tls_port=0", "--server_grpc_tls_port=0", "--server_http_port=0");

        Assert.Equal(2, code);
        Assert.Contains($"{director} (director config): $.http.routes[0].path_rules: 'api' must start with '/'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_EnvironmentVariableWrongType_NamesTheVariable()
    {
        var (code, output) = await RunProcessAsync(
            ["--server_http_tls_port=0", "--server_grpc_tls_port=0", $"--server_http_port={KedgeProcessTests.FreePort()}"],
            new Dictionary<string, string>
            {
                ["Kedge__HttpRoutes__0__Backend"] = "b1",
                ["Kedge__HttpRoutes__0__Port"] = "eighty",
            });

        Assert.Equal(2, code);
        Assert.Contains("environment variable Kedge__HttpRoutes__0__Port: 'eighty' is not a whole number", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_InvalidReload_KeepsServingAndNamesFileAndPathOnce()
    {
        var native = Write("kedge.json", """{"Kedge":{"HttpRoutes":[{"Backend":"b1"}],"HttpBackends":[{"Name":"b1","Static":{"Addresses":["127.0.0.1:1"]}}]}}""");
        var output = new ConcurrentQueue<string>();
        using var kedge = StartKedge(
            [$"--config={native}", "--server_http_tls_port=0", "--server_grpc_tls_port=0", $"--server_http_port={KedgeProcessTests.FreePort()}", "--log_level=info"],
            null,
            output);
        try
        {
            await Eventually.TrueAsync(() => output.Any(l => l.Contains("Configuration applied", StringComparison.Ordinal)) || kedge.HasExited, "kedge did not apply its configuration");
            Assert.False(kedge.HasExited, string.Join('\n', output));
            Assert.DoesNotContain(output, l => l.Contains(LastGood, StringComparison.OrdinalIgnoreCase));

            await File.WriteAllTextAsync(native, """{"Kedge":{"HttpRoutes":[{"Backend":"b2"}],"HttpBackends":[{"Name":"b1","Static":{"Addresses":["127.0.0.1:1"]}}]}}""");

            await Eventually.TrueAsync(() => output.Any(l => l.Contains($"{native}: $.Kedge.HttpRoutes[0].Backend: names the backend 'b2'", StringComparison.Ordinal)), "the rejected reload was not reported at its path");
            Assert.Contains(output, l => l.Contains(LastGood, StringComparison.OrdinalIgnoreCase));
            Assert.False(kedge.HasExited);

            // A valid change after it: once that is applied, a second report of the rejected one would have been written.
            await File.WriteAllTextAsync(native, """{"Kedge":{"HttpRoutes":[{"Backend":"b1","Host":"after.kedge"}],"HttpBackends":[{"Name":"b1","Static":{"Addresses":["127.0.0.1:1"]}}]}}""");
            await Eventually.TrueAsync(() => output.Count(l => l.Contains("Configuration applied", StringComparison.Ordinal)) >= 2, "the valid change after the rejected one was not applied");
            Assert.Single(output, l => l.Contains("names the backend 'b2'", StringComparison.Ordinal));
        }
        finally
        {
            if (!kedge.HasExited)
            {
                KedgeProcessTests.Sigterm(kedge);
                using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await kedge.WaitForExitAsync(stopped.Token);
                }
                catch (OperationCanceledException)
                {
                    kedge.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private string Write(string name, string content)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Runs the kedge process to its exit (it fails at start); returns the exit code and stdout and stderr together.</summary>
    private async Task<(int Code, string Output)> RunProcessAsync(string[] args, Dictionary<string, string>? environment = null)
    {
        var output = new ConcurrentQueue<string>();
        using var kedge = StartKedge(args, environment, output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await kedge.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill();
            }
        }

        kedge.WaitForExit(); // drains the redirected output
        return (kedge.ExitCode, string.Join('\n', output));
    }

    /// <summary>The kedge process in this test's directory (no ./appsettings.json), its output lines collected.</summary>
    private Process StartKedge(string[] args, Dictionary<string, string>? environment, ConcurrentQueue<string> output)
        => KedgeProcessTests.Start(args, environment, _dir.Path, line =>
        {
            if (line is not null)
            {
                output.Enqueue(line);
            }
        });
}
