using System.Net;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.Extensions.Logging;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// Backends that hang (never answer) or reset the connection in the middle of a response body. Neither is resent, and
/// neither fills the log.
/// </summary>
public sealed class BackendHangAndResetTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly TestCertificateAuthority _backendCa = TestCertificateAuthority.Create("Backend CA");
    private readonly Dictionary<string, RawBackend> _byHost = [];
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        var certificate = _backendCa.IssueServerCertificate("localhost");
        _byHost["h1.hang.kedge"] = RawBackend.Start(RawBackendBehavior.Hang);
        _byHost["h2.hang.kedge"] = RawBackend.Start(RawBackendBehavior.Hang, http2: true, certificate);
        _byHost["h1.reset.kedge"] = RawBackend.Start(RawBackendBehavior.ResetMidBody);
        _byHost["h2.reset.kedge"] = RawBackend.Start(RawBackendBehavior.ResetMidBody, http2: true, certificate);

        var routing = new KedgeServerOptions
        {
            HttpRoutes = [.. _byHost.Keys.Select(host => new HttpRouteOptions { Backend = host.Replace('.', '_'), Host = host })],
            HttpBackends =
            [
                .. _byHost.Select(pair => new BackendOptions
                {
                    Name = pair.Key.Replace('.', '_'),
                    Static = new() { Addresses = [$"127.0.0.1:{pair.Value.Port}"] },
                    Tls = pair.Key.StartsWith("h2", StringComparison.Ordinal) ? new() { InsecureSkipVerify = true } : null,
                }),
            ],
        };
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing);
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        foreach (var backend in _byHost.Values)
        {
            await backend.DisposeAsync();
        }

        _backendCa.Dispose();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("h1.hang.kedge")]
    [InlineData("h2.hang.kedge")]
    public async Task Http_BackendHangs_CallerGivesUpOnceNothingResentBackendToldNoLogStorm(string host)
    {
        // Kedge sets no response timeout of its own (a stream may be quiet for a day; Go kedge had none either): the
        // caller's deadline ends the wait. Cancel only once the request is at the backend, so no timing is assumed.
        var backend = _byHost[host];
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        using var cancel = new CancellationTokenSource();
        var call = http.SendAsync(KedgeTestHttp.Request(host, "/report"), cancel.Token);
        await Eventually.TrueAsync(() => backend.RequestCount == 1, "the request did not reach the hanging backend");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Eventually.TrueAsync(() => backend.AbandonedCount == 1, "kedge did not abandon the backend request when the caller left");
        Assert.Equal(1, backend.RequestCount);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Kedge", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("h1.reset.kedge", "1.1")]
    [InlineData("h1.reset.kedge", "2.0")]
    [InlineData("h2.reset.kedge", "1.1")]
    [InlineData("h2.reset.kedge", "2.0")]
    public async Task Http_BackendResetsMidBody_CallerSeesAbortedBodyBackendReceivedOnce(string host, string callerVersion)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);

        using var response = await http.SendAsync(KedgeTestHttp.Request(host, "/download", version: Version.Parse(callerVersion)), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The status line and part of the body have reached the caller; the reset can only cut the rest off.
        _byHost[host].AllowReset();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());

        Assert.True(ex is HttpRequestException or IOException, ex.ToString());
        Assert.Equal(1, _byHost[host].RequestCount);
        Assert.Equal(1, _byHost[host].ConnectionCount);
    }
}
