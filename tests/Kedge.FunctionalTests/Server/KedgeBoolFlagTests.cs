using System.Net;
using System.Net.Sockets;
using Kedge.Server.Hosting;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// Bool flags on kedge's command line, as Go kedge's users and its own e2e spin-up write them: <c>--flag=value</c> in
/// every spelling Go's strconv.ParseBool accepts, and pflag's <c>--flag true</c> / <c>--flag false</c>.
/// </summary>
public sealed class KedgeBoolFlagTests : IDisposable
{
    private const string EmptyGoConfig = """{"grpc":{},"http":{}}""";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(GoBoolSpellings.All), MemberType = typeof(GoBoolSpellings))]
    public async Task Run_PrintConfigWithEqualsValue_ReadInEveryGoSpelling(string value, bool printsConfig)
    {
        // No TLS files: printing needs none, starting does, so the outcome shows which value kedge read.
        var (code, output, error) = await KedgeCommandLine.RunAsync(
            "--kedge_config_director_config=" + EmptyGoConfig,
            "--kedge_config_backendpool_config=" + EmptyGoConfig,
            $"--server_tls_client_cert_required={value}",
            $"--print_config={value}");

        if (printsConfig)
        {
            Assert.True(code == 0, error);
            Assert.Contains("\"Kedge\"", output, StringComparison.Ordinal);

            // stderr holds the winners table of --print-config and nothing from kedge itself (no warning, no error).
            Assert.StartsWith("Settings (winner:", error, StringComparison.Ordinal);
            Assert.DoesNotContain("kedge:", error, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(2, code);
            Assert.Contains("--server_tls_cert_file and --server_tls_key_file are required", error, StringComparison.Ordinal);
            Assert.DoesNotContain("print_config", error, StringComparison.Ordinal);
            Assert.DoesNotContain("server_tls_client_cert_required", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_GoEndToEndClientCertRequiredTrue_StartsAndWarnsWithEqualsForm()
    {
        using var ca = TestCertificateAuthority.Create();
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), _dir.Combine("tls"));
        var caFile = ca.WriteCaPem(_dir.Path);
        var (tlsPort, adminPort) = (FreePort(), FreePort());
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();

        // The exact form of Go kedge's e2e spin-up: the value as a separate argument.
        var run = KedgeProgram.RunAsync(
            [
                "--server_bind_address=127.0.0.1", $"--server_http_tls_port={tlsPort}", "--server_grpc_tls_port=0", $"--server_http_port={adminPort}",
                $"--server_tls_cert_file={cert}", $"--server_tls_key_file={key}", $"--server_tls_client_ca_files={caFile}",
                "--server_tls_client_cert_required", "true",
                "--kedge_config_director_config=" + EmptyGoConfig, "--kedge_config_backendpool_config=" + EmptyGoConfig,
                "--log_level=error",
            ],
            output,
            error,
            stop.Token);
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await Eventually.TrueAsync(
                async () => run.IsCompleted ? throw new InvalidOperationException("kedge stopped: " + error) : (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK,
                "kedge serves /readyz");
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith(
            "kedge: warning: flag --server_tls_client_cert_required is followed by \"true\" as a separate argument: read as Go reads it (--server_tls_client_cert_required is set to true and \"true\" is ignored). Write --server_tls_client_cert_required=true\n",
            error.ToString().ReplaceLineEndings("\n"),
            StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.False), MemberType = typeof(GoBoolSpellings))]
    public async Task Run_BoolFlagThenSeparateFalse_RefusedBecauseGoWouldSetTrue(string value)
    {
        var (code, output, error) = await KedgeCommandLine.RunAsync(
            "--kedge_config_director_config=" + EmptyGoConfig,
            "--kedge_config_backendpool_config=" + EmptyGoConfig,
            "--print_config",
            "--server_tls_client_cert_required",
            value);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains(
            $"flag --server_tls_client_cert_required is followed by \"{value}\" as a separate argument: a bool flag does not take the next argument, so Go would silently set --server_tls_client_cert_required to TRUE and leave \"{value}\" as a stray argument. Write --server_tls_client_cert_required={value}",
            error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StrayArgument_StillRefused()
    {
        var (code, _, error) = await KedgeCommandLine.RunAsync(
            "--kedge_config_director_config=" + EmptyGoConfig,
            "--kedge_config_backendpool_config=" + EmptyGoConfig,
            "--print_config",
            "extra");

        Assert.Equal(2, code);
        Assert.Contains("unexpected argument \"extra\": kedge takes only flags", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Help_DescribesTheBoolForms()
    {
        var (code, output, _) = await KedgeCommandLine.RunAsync("--help");

        Assert.Equal(0, code);
        Assert.Contains("Bool flags: --name alone means true; a value goes after '=': --name=false", output, StringComparison.Ordinal);
        Assert.Contains("Go reads --name false as --name (true) plus a stray argument, so it is refused", output, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
