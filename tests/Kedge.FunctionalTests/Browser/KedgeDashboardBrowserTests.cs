using System.Diagnostics;
using System.Globalization;
using System.Net;
using Kedge.FunctionalTests.Server;
using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Hosting;
using Kedge.Server.Management;
using Kedge.Testing;
using Kedge.Testing.Browser;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.FunctionalTests.Browser;

/// <summary>
/// kedge's dashboard in a real headless Chromium against a real kedge (in-process, real TLS) and real loopback backends:
/// it loads within its strict policy, follows load, endpoint failures and configuration reloads live.
/// </summary>
[Collection(SharedChromium.Collection)]
public sealed class KedgeDashboardBrowserTests(SharedChromium chromium, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private LoopbackServer _first = null!;
    private LoopbackServer _second = null!;

    public async Task InitializeAsync()
    {
        _first = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _second = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        _logs.Dispose();
    }

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes =
        [
            new() { Backend = "web", Host = "web.kedge" },
            new() { Backend = "idle", Host = "idle.kedge", PathRules = ["/quiet/*"] },
        ],
        GrpcRoutes = [new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter" }],
        HttpBackends =
        [
            new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_first.Port}", $"127.0.0.1:{_second.Port}"] } },
            new() { Name = "idle", Static = new() { Addresses = [$"127.0.0.1:{_first.Port}"] } },
        ],
        GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_first.Port}"] } }],
    };

    [Fact]
    public async Task Page_RunningKedge_LoadsWithoutConsoleErrorsAndShowsRoutesBackendsAndCertificates()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        var browser = chromium.Fresh();

        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));

        await UpdatedTwiceAsync(browser);
        Assert.Equal(["web.kedge", "idle.kedge /quiet/*", "kedge.testing.Greeter"], browser.Strings("[...document.querySelectorAll('[data-route]')].map(e => e.dataset.route)"));
        Assert.Equal("grpc", browser.AttributeOf("[data-route='kedge.testing.Greeter']", "data-protocol"));
        Assert.Equal("healthy", browser.AttributeOf($"[data-backend='web'] [data-endpoint='127.0.0.1:{_first.Port}']", "data-state"));
        Assert.Equal("healthy", browser.AttributeOf($"[data-backend='web'] [data-endpoint='127.0.0.1:{_second.Port}']", "data-state"));
        Assert.True(browser.Exists("[data-backend='greeter']"));
        Assert.True(browser.Exists("[data-certificate='server']"));
        Assert.True(browser.Exists("[data-certificate='client_ca']"));
        Assert.StartsWith("kedge ", browser.TextOf("[data-version]"), StringComparison.Ordinal);
        Assert.Equal("live", browser.AttributeOf("[data-status]", "data-status"));
        Assert.Empty(browser.ConsoleErrors());
    }

    [Fact]
    public async Task Page_SteadyLoadThenOneOfTwoEndpointsKilled_RatesMoveAndTheKilledEndpointTurnsFailing()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var http = KedgeTestHttp.Create(kedge, kedge.ClientCertificate);
        var browser = chromium.Fresh();
        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));
        await UpdatedTwiceAsync(browser);
        Assert.Equal(0, Rate(browser, "web.kedge"));

        using var stop = new CancellationTokenSource();
        var answeredAfterKill = 0;
        var failedAfterKill = 0;
        var killed = false;
        Exception? loadFailure = null;
        // The loop never faults: a failed request is counted (and the first kept), so awaiting the loop in finally
        // cannot hide the assertion that failed inside try.
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/load"));
                    if (Volatile.Read(ref killed))
                    {
                        Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref answeredAfterKill : ref failedAfterKill);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref loadFailure, ex, null);
                    Interlocked.Increment(ref failedAfterKill);
                }

                await Task.Delay(10);
            }
        });
        try
        {
            await Eventually.TrueAsync(() => Rate(browser, "web.kedge") > 1, "the loaded route's rate moves on the page");
            Assert.Equal(0, Rate(browser, "idle.kedge /quiet/*"));
            Assert.True(double.Parse(browser.AttributeOf("[data-route='web.kedge']", "data-p99")!, CultureInfo.InvariantCulture) > 0);

            await _second.DisposeAsync();
            Volatile.Write(ref killed, true);

            var endpoint = $"[data-backend='web'] [data-endpoint='127.0.0.1:{_second.Port}']";
            await Eventually.TrueAsync(() => browser.AttributeOf(endpoint, "data-state") is "ejected" or "failing", "the killed endpoint turns ejected or failing on the page");
            Assert.Contains($"127.0.0.1:{_second.Port}", browser.TextOf(endpoint), StringComparison.Ordinal);
            Assert.Contains("refused", browser.TextOf(endpoint), StringComparison.OrdinalIgnoreCase);
            Assert.Equal("healthy", browser.AttributeOf($"[data-backend='web'] [data-endpoint='127.0.0.1:{_first.Port}']", "data-state"));
            Assert.True(Rate(browser, "web.kedge") > 0);
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }

        // Connect failures are retried on the other endpoint, which kept answering.
        // (A request already on the killed endpoint's open connection may fail: counted, not asserted.)
        output.WriteLine($"after the kill: {answeredAfterKill} answered, {failedAfterKill} failed");
        Assert.Null(loadFailure);
        Assert.True(answeredAfterKill > 0);
        Assert.Empty(browser.ConsoleErrors());
    }

    [Fact]
    public async Task Page_ConfigFileReloads_AddedRouteShownWithinTwoSecondsOfKedgeApplyingItAndThePollIntervalMoreOfTheWriteRejectedFileAsLastErrorRemovedRouteGone()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("kedge.json");
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: false));
        var errors = new List<string>();
        var source = KedgeConfigSource.FromFlags(GoFlagParser.Parse(KedgeProgram.Flags, [$"--config={file}"], "kedge"), errors)!;
        var routing = source.Load(new KedgeServerSettings(), errors);
        Assert.Empty(errors);
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing!, configureHost: builder =>
        {
            builder.Services.AddSingleton(source);
            builder.Services.AddHostedService<KedgeConfigWatcher>();
        });
        var runtime = kedge.Server.App.Services.GetRequiredService<KedgeRuntime>();
        var browser = chromium.Fresh();
        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));
        await UpdatedTwiceAsync(browser);
        Assert.False(browser.Exists("[data-route='added.kedge']"));

        // The 2 s is the dashboard's lag: measured from the moment kedge applied the reloaded file (its change token
        // fired). From the file write, the watcher's poll interval comes on top, and is asserted separately.
        var applied = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = runtime.GetChangeToken().RegisterChangeCallback(_ => applied.TrySetResult(Stopwatch.GetTimestamp()), null);
        var writtenAt = Stopwatch.GetTimestamp();
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: true));
        var appliedAt = await applied.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Eventually.TrueAsync(() => browser.Exists("[data-route='added.kedge']"), "the reloaded route appears on the page", TimeSpan.FromSeconds(10));
        var lag = Stopwatch.GetElapsedTime(appliedAt);
        var sinceWrite = Stopwatch.GetElapsedTime(writtenAt);

        output.WriteLine($"route shown {lag.TotalMilliseconds:F0} ms after kedge applied the reloaded file, {sinceWrite.TotalMilliseconds:F0} ms after the write");
        Assert.True(lag <= TimeSpan.FromSeconds(2), $"the page showed the new route {lag.TotalMilliseconds:F0} ms after kedge applied it");
        // From the write: the watcher's documented poll interval (KedgeConfigWatcher.Interval) plus the page's 2 s.
        Assert.True(sinceWrite <= KedgeConfigWatcher.Interval + TimeSpan.FromSeconds(2), $"the page showed the new route {sinceWrite.TotalMilliseconds:F0} ms after the file was written");
        Assert.Equal("applied", browser.AttributeOf("[data-reloads] tr[data-reload='file']", "data-result"));

        _logs.ExpectErrors(e => e.EventId.Name == "ConfigurationRejected");
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: true).Replace("\"Backend\": \"added\"", "\"Backend\": \"missing\"", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => browser.TextOf("[data-last-error]")?.Contains(file, StringComparison.Ordinal) == true, "the rejected reload shows as last error, with its file", TimeSpan.FromSeconds(10));

        var lastError = browser.TextOf("[data-last-error]")!;
        Assert.Contains("$.Kedge.HttpRoutes[1].Backend", lastError, StringComparison.Ordinal);
        Assert.Contains("missing", lastError, StringComparison.Ordinal);
        Assert.Equal("rejected", browser.AttributeOf("[data-reloads] tr[data-reload='file']", "data-result"));
        // The last good configuration stays in force, and on the page.
        Assert.True(browser.Exists("[data-route='added.kedge']"));

        // A route a reload removes leaves the page, with its backend.
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: false));
        await Eventually.TrueAsync(() => !browser.Exists("[data-route='added.kedge']"), "the removed route leaves the page", TimeSpan.FromSeconds(10));
        Assert.False(browser.Exists("[data-backend='added']"));
        Assert.True(browser.Exists("[data-route='web.kedge']"));
        Assert.Empty(browser.ConsoleErrors());
    }

    private string NativeConfig(bool extraRoute) => $$"""
        { "Kedge": {
            "HttpRoutes": [
              { "Backend": "web", "Host": "web.kedge" }{{(extraRoute ? """, { "Backend": "added", "Host": "added.kedge" }""" : string.Empty)}}
            ],
            "HttpBackends": [
              { "Name": "web", "Static": { "Addresses": [ "127.0.0.1:{{_first.Port}}" ] } }{{(extraRoute ? $$""", { "Name": "added", "Static": { "Addresses": [ "127.0.0.1:{{_second.Port}}" ] } }""" : string.Empty)}}
            ] } }
        """;

    /// <summary>Waits until the page has rendered the state twice (so the polling loop runs, not just the first fetch).</summary>
    private static async Task UpdatedTwiceAsync(HeadlessChromium browser)
    {
        var first = await Eventually.ValueAsync(() => Task.FromResult(browser.AttributeOf("body", "data-updated")), v => v is not null, "the page renders the state");
        await Eventually.TrueAsync(() => browser.AttributeOf("body", "data-updated") is { } v && v != first, "the page polls again");
    }

    private static double Rate(HeadlessChromium browser, string route)
        => browser.AttributeOf($"[data-route='{route}']", "data-rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : double.NaN;
}
