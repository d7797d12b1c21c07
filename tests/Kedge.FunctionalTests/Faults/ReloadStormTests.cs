using System.Collections.Concurrent;
using System.Net;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// Many configuration changes while requests flow: each change rebuilds the backend (new endpoint order, so new
/// connection pools) and adds or removes another route. A request sees the old or the new snapshot, never a failure.
/// </summary>
public sealed class ReloadStormTests : IAsyncLifetime
{
    private const int Reloads = 60;
    private const int Concurrency = 4;

    private readonly TestLogSink _logs = new();
    private LoopbackServer _a = null!;
    private LoopbackServer _b = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _a = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _b = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _kedge = await KedgeServerFixture.StartAsync(_logs, Routing(0));
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _logs.Dispose();
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Http_ConfigurationReloadedContinuously_NoRequestFails(string callerVersion)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        var answered = 0;
        using var storming = new CancellationTokenSource();

        async Task CallerAsync()
        {
            // Bounded: the loop ends with the storm, or after 2,000 requests in all.
            while (!storming.IsCancellationRequested && Interlocked.Increment(ref sent) <= 2_000)
            {
                using var response = await http.SendAsync(KedgeTestHttp.Request("storm.kedge", "/", version: Version.Parse(callerVersion)));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                Interlocked.Increment(ref answered);
            }
        }

        var callers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(CallerAsync)).ToArray();
        for (var i = 1; i <= Reloads; i++)
        {
            // Paced by the requests, not the clock: a few answered between two reloads.
            await Eventually.TrueAsync(() => Volatile.Read(ref answered) >= i * 5 || Volatile.Read(ref sent) >= 2_000, "requests stopped flowing");
            Assert.Empty(await _kedge.Server.ApplyAsync(Routing(i)));
        }

        await storming.CancelAsync();
        await Task.WhenAll(callers);

        Assert.Empty(failures);
        Assert.True(_a.RequestCount > 0 && _b.RequestCount > 0, $"A served {_a.RequestCount}, B {_b.RequestCount}");
        Assert.Equal(Reloads + 1, _logs.WithEventName("ConfigurationApplied").Count());
    }

    /// <summary>Generation <paramref name="i"/>: odd ones swap the endpoint order and add a route.</summary>
    private KedgeServerOptions Routing(int i)
    {
        string[] addresses = [$"127.0.0.1:{_a.Port}", $"127.0.0.1:{_b.Port}"];
        return new KedgeServerOptions
        {
            HttpRoutes =
            [
                .. i % 2 == 1 ? [new HttpRouteOptions { Backend = "storm", Host = $"extra-{i}.kedge" }] : Array.Empty<HttpRouteOptions>(),
                new() { Backend = "storm", Host = "storm.kedge" },
            ],
            HttpBackends = [new() { Name = "storm", Static = new() { Addresses = i % 2 == 1 ? [.. addresses.Reverse()] : [.. addresses] } }],
        };
    }
}
