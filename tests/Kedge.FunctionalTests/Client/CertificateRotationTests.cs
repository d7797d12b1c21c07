using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Client;

public sealed class CertificateRotationTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private KedgeStandIn _kedge = null!;

    public async Task InitializeAsync() => _kedge = await KedgeStandIn.StartAsync(_logs);

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task SecretVolumeSymlinkSwap_WhileCallsContinue_NewCertificateWithNoFailedCall()
    {
        using var client = _kedge.CreateClient(_logs, o =>
        {
            o.FileRefreshInterval = TimeSpan.FromMilliseconds(100);
            o.PooledConnectionLifetime = TimeSpan.FromMilliseconds(500);
        });

        var result = await CallWhileAsync(client, rotate: () =>
        {
            _kedge.ClientSecret.Update(_kedge.Ca.IssueClientCertificate("caller-v2"));
            return Task.CompletedTask;
        });

        Assert.Empty(result.Failures);
        Assert.Contains("CN=caller-v1", result.SubjectsBeforeRotation);
        Assert.All(result.SubjectsAtEnd, s => Assert.Equal("CN=caller-v2", s));
        Assert.Single(_logs.WithEventName("ClientCertificateReloaded"));
    }

    [Fact]
    public async Task NonAtomicUpdate_CertificateBeforeKey_KeepsOldCertificateUntilPairIsComplete()
    {
        using var dir = new TempDirectory();
        var (certPath, keyPath) = TestCertificateAuthority.WritePem(_kedge.Ca.IssueClientCertificate("caller-v1"), dir.Path);
        using var client = KedgeClient.Create(
            _kedge.ClientOptions(KedgeMapper.Regex(@"\.kedge$", _kedge.KedgeUrl.ToString().TrimEnd('/')), o =>
            {
                o.ClientCertificate = new() { CertificateFile = certPath, KeyFile = keyPath };
                o.FileRefreshInterval = TimeSpan.FromMilliseconds(50);
                o.PooledConnectionLifetime = TimeSpan.FromMilliseconds(200);
            }),
            _logs);

        var next = _kedge.Ca.IssueClientCertificate("caller-v2");
        var staging = dir.Combine("staging");
        var (newCert, newKey) = TestCertificateAuthority.WritePem(next, staging);
        var result = await CallWhileAsync(client, rotate: async () =>
        {
            File.Copy(newCert, certPath, overwrite: true);
            await Task.Delay(600); // several refreshes see a certificate that does not match the key
            File.Copy(newKey, keyPath, overwrite: true);
        });

        Assert.Empty(result.Failures);
        Assert.All(result.SubjectsAtEnd, s => Assert.Equal("CN=caller-v2", s));
        Assert.NotEmpty(_logs.WithEventName("ClientCertificateReloadFailed"));
    }

    /// <summary>
    /// Four callers send requests (HTTP/1.1 and HTTP/2 alternately) until the rotation has been seen by the server and
    /// old connections have had time to retire; bounded to 30 seconds.
    /// </summary>
    private async Task<RotationResult> CallWhileAsync(KedgeClient client, Func<Task> rotate)
    {
        using var http = new HttpClient(client.CreateHandler());
        var failures = new List<Exception>();
        var subjects = new List<(DateTime At, string Subject)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rotatedAt = DateTime.MaxValue;

        async Task CallerAsync(int id)
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://svc{id}.ns.svc.cluster-b.kedge/")
                    {
                        Version = (i++ % 2 == 0) ? HttpVersion.Version11 : HttpVersion.Version20,
                    };
                    using var response = await http.SendAsync(request, stop.Token);
                    var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions, stop.Token);
                    lock (subjects)
                    {
                        subjects.Add((DateTime.UtcNow, echo!.ClientCertificateSubject));
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }
                }

                await Task.Delay(10, CancellationToken.None);
            }
        }

        var callers = Enumerable.Range(0, 4).Select(CallerAsync).ToArray();

        // Rotate only once calls are flowing with the first certificate.
        while (!stop.IsCancellationRequested)
        {
            lock (subjects)
            {
                if (subjects.Count >= 8)
                {
                    break;
                }
            }

            await Task.Delay(20);
        }

        await rotate();
        rotatedAt = DateTime.UtcNow;

        // Wait until the new certificate has been seen, then long enough for every old connection to retire.
        while (!stop.IsCancellationRequested)
        {
            lock (subjects)
            {
                var firstNew = subjects.FirstOrDefault(s => s.Subject == "CN=caller-v2").At;
                if (firstNew != default && DateTime.UtcNow - firstNew > TimeSpan.FromSeconds(2))
                {
                    break;
                }
            }

            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Task.WhenAll(callers);
        lock (subjects)
        {
            return new RotationResult(
                failures,
                subjects.Where(s => s.At < rotatedAt).Select(s => s.Subject).ToList(),
                subjects.TakeLast(20).Select(s => s.Subject).ToList());
        }
    }

    private sealed record RotationResult(List<Exception> Failures, List<string> SubjectsBeforeRotation, List<string> SubjectsAtEnd);
}
