using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// Kedge's own server certificate is rotated twice (a Kubernetes secret volume update) while callers keep sending, on
/// pooled connections and on a new connection per request. Extends
/// <see cref="KedgeServerLifecycleTests.ServerCertificate_SecretVolumeSwap_NewConnectionsGetNewCertificate"/> with load.
/// </summary>
public sealed class CertificateRotationUnderLoadTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync() => _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task ServerCertificate_RotatedTwiceUnderLoad_NoRequestFails()
    {
        KubernetesSecretVolume? secret = null;
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "web", Host = "web.kedge" }],
            HttpBackends = [new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
        };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings =>
        {
            secret = new KubernetesSecretVolume(Path.Combine(Path.GetDirectoryName(settings.TlsCertFile!)!, "..", "secret"));
            settings.TlsCertFile = secret.CertificatePath;
            settings.TlsKeyFile = secret.KeyPath;
        }, beforeStart: fixture => secret!.Update(fixture.Ca.IssueServerCertificate("kedge-v1.test")));

        var presented = new ConcurrentDictionary<string, int>();
        using var fresh = new HttpClient(Handler(kedge, presented, pooled: false)) { BaseAddress = kedge.KedgeUrl };
        using var pooled = new HttpClient(Handler(kedge, presented, pooled: true)) { BaseAddress = kedge.KedgeUrl };
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        using var rotated = new CancellationTokenSource();

        async Task CallerAsync(HttpClient http)
        {
            // Bounded: until the second rotation is seen, or 50,000 requests in all (a safety net, never reached in practice).
            while (!rotated.IsCancellationRequested && Interlocked.Increment(ref sent) <= 50_000)
            {
                try
                {
                    using var response = await http.SendAsync(KedgeTestHttp.Request("web.kedge"));
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.ToString());
                }
            }
        }

        Task[] callers = [Task.Run(() => CallerAsync(fresh)), Task.Run(() => CallerAsync(fresh)), Task.Run(() => CallerAsync(pooled))];
        foreach (var (next, previous) in new[] { ("kedge-v2.test", "kedge-v1.test"), ("kedge-v3.test", "kedge-v2.test") })
        {
            await Eventually.TrueAsync(() => presented.ContainsKey($"CN={previous}"), $"no handshake presented {previous}");
            secret!.Update(kedge.Ca.IssueServerCertificate(next));
        }

        await Eventually.TrueAsync(() => presented.ContainsKey("CN=kedge-v3.test"), "the second rotation was not picked up");
        await rotated.CancelAsync();
        await Task.WhenAll(callers);

        Assert.Empty(failures);
        Assert.Equal(2, _logs.WithEventName("ServerCertificateReloaded").Count());
    }

    /// <summary>Trusts the test CA, presents the caller's certificate and records the subject of every certificate kedge presents.</summary>
    private static SocketsHttpHandler Handler(KedgeServerFixture kedge, ConcurrentDictionary<string, int> presented, bool pooled) => new()
    {
        UseProxy = false,
        PooledConnectionLifetime = pooled ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
        SslOptions = new SslClientAuthenticationOptions
        {
            LocalCertificateSelectionCallback = (_, _, _, _, _) => kedge.ClientCertificate,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var leaf = (X509Certificate2)certificate!;
                presented.AddOrUpdate(leaf.Subject, 1, (_, n) => n + 1);
                return kedge.Ca.Validates(leaf);
            },
        },
    };
}
