using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Kedge.FunctionalTests.Server;
using Kedge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// The built <c>kedge</c> process gets SIGTERM while slow requests are in flight: it stops accepting, lets them finish,
/// and exits 0. (The in-process drain is <see cref="KedgeServerLifecycleTests.Shutdown_InFlightRequest_DrainsBeforeStopping"/>;
/// this one goes through the real signal handling.)
/// </summary>
public sealed class SigtermDrainTests : IAsyncLifetime
{
    private const int InFlight = 5;

    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync()
        => _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs, app => app.Map("/slow", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _arrived);
            await _release.Task;
            await context.Response.WriteAsync("finished");
        }));

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _backend.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Process_SigtermWithRequestsInFlight_AllCompleteAndExitZero()
    {
        var (serverCert, serverKey) = TestCertificateAuthority.WritePem(_ca.IssueServerCertificate("kedge.test"), _dir.Combine("server"));
        var clientCertificate = _ca.IssueClientCertificate("caller");
        var caFile = _ca.WriteCaPem(_dir.Path);
        var config = _dir.Combine("kedge.json");
        await File.WriteAllTextAsync(config, $$"""
            { "Kedge": {
                "HttpRoutes": [ { "Backend": "slow", "Host": "slow.kedge" } ],
                "HttpBackends": [ { "Name": "slow", "Static": { "Addresses": [ "127.0.0.1:{{_backend.Port}}" ] } } ] } }
            """);
        var (tlsPort, adminPort) = (KedgeProcessTests.FreePort(), KedgeProcessTests.FreePort());
        using var kedge = KedgeProcessTests.StartKedge(
            "--server_bind_address=127.0.0.1",
            $"--server_http_tls_port={tlsPort}",
            "--server_grpc_tls_port=0",
            $"--server_http_port={adminPort}",
            $"--server_tls_cert_file={serverCert}",
            $"--server_tls_key_file={serverKey}",
            $"--server_tls_client_ca_files={caFile}",
            $"--config={config}");
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
            await KedgeProcessTests.WaitUntilAsync(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, kedge);
            using var http = new HttpClient(Handler(clientCertificate)) { BaseAddress = new Uri($"https://localhost:{tlsPort}") };

            var calls = Enumerable.Range(0, InFlight).Select(i => CallAsync(http, i)).ToArray();
            await Eventually.TrueAsync(() => Volatile.Read(ref _arrived) == InFlight, "the slow requests did not all reach the backend");
            Assert.Equal(0, KedgeProcessTests.Sigterm(kedge));

            // Draining: the listener is closed (new callers are refused) while the requests are still held.
            await Eventually.TrueAsync(() => !Accepts(tlsPort), "kedge kept accepting after SIGTERM");
            _release.SetResult();

            var answers = await Task.WhenAll(calls);
            Assert.All(answers, a => Assert.Equal("200 finished", a));
            Assert.True(kedge.WaitForExit(TimeSpan.FromSeconds(30)), "kedge did not exit after draining");
            kedge.WaitForExit(); // drains the redirected output
            Assert.True(kedge.ExitCode == 0, $"exit code {kedge.ExitCode}:\n{KedgeProcessTests.Tail()}");
        }
        finally
        {
            if (!kedge.HasExited)
            {
                kedge.Kill();
            }
        }
    }

    private static async Task<string> CallAsync(HttpClient http, int i)
    {
        // HTTP/1.1: one connection per in-flight request, so draining covers several connections.
        using var response = await http.SendAsync(KedgeTestHttp.Request("slow.kedge", $"/slow?i={i}"));
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    private static bool Accepts(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            tcp.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private SocketsHttpHandler Handler(X509Certificate2 clientCertificate) => new()
    {
        UseProxy = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 c && _ca.Validates(c),
        },
    };
}
