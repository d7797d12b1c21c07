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
using OpenQA.Selenium;

namespace Kedge.FunctionalTests.Browser;

/// <summary>
/// kedge's dashboard in a real headless Chromium against a real kedge (in-process, real TLS) and real loopback backends:
/// it loads within its strict policy, follows load, endpoint failures and configuration reloads live.
/// </summary>
public sealed class KedgeDashboardBrowserTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
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
        using var browser = HeadlessChromium.Start();

        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));

        await UpdatedTwiceAsync(browser);
        Assert.Equal(["web.kedge", "idle.kedge /quiet/*", "kedge.testing.Greeter"], Strings(browser, "[...document.querySelectorAll('[data-route]')].map(e => e.dataset.route)"));
        Assert.Equal("grpc", Attribute(browser, "[data-route='kedge.testing.Greeter']", "data-protocol"));
        Assert.Equal("healthy", Attribute(browser, $"[data-backend='web'] [data-endpoint='127.0.0.1:{_first.Port}']", "data-state"));
        Assert.Equal("healthy", Attribute(browser, $"[data-backend='web'] [data-endpoint='127.0.0.1:{_second.Port}']", "data-state"));
        Assert.NotNull(Find(browser, "[data-backend='greeter']"));
        Assert.NotNull(Find(browser, "[data-certificate='server']"));
        Assert.NotNull(Find(browser, "[data-certificate='client_ca']"));
        Assert.StartsWith("kedge ", Text(browser, "[data-version]"), StringComparison.Ordinal);
        Assert.Equal("live", Attribute(browser, "[data-status]", "data-status"));
        Assert.Empty(browser.ConsoleErrors());
    }

    [Fact]
    public async Task Page_SteadyLoadThenOneOfTwoEndpointsKilled_RatesMoveAndTheKilledEndpointTurnsFailing()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var http = KedgeTestHttp.Create(kedge, kedge.ClientCertificate);
        using var browser = HeadlessChromium.Start();
        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));
        await UpdatedTwiceAsync(browser);
        Assert.Equal(0, Rate(browser, "web.kedge"));

        using var stop = new CancellationTokenSource();
        var answeredAfterKill = 0;
        var killed = false;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/load"));
                if (Volatile.Read(ref killed) && response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref answeredAfterKill);
                }

                await Task.Delay(10);
            }
        });
        try
        {
            await Eventually.TrueAsync(() => Rate(browser, "web.kedge") > 1, "the loaded route's rate moves on the page");
            Assert.Equal(0, Rate(browser, "idle.kedge /quiet/*"));
            Assert.True(double.Parse(Attribute(browser, "[data-route='web.kedge']", "data-p99")!, CultureInfo.InvariantCulture) > 0);

            await _second.DisposeAsync();
            Volatile.Write(ref killed, true);

            var endpoint = $"[data-backend='web'] [data-endpoint='127.0.0.1:{_second.Port}']";
            await Eventually.TrueAsync(() => Attribute(browser, endpoint, "data-state") is "ejected" or "failing", "the killed endpoint turns ejected or failing on the page");
            Assert.Contains($"127.0.0.1:{_second.Port}", Text(browser, endpoint), StringComparison.Ordinal);
            Assert.Contains("refused", Text(browser, endpoint), StringComparison.OrdinalIgnoreCase);
            Assert.Equal("healthy", Attribute(browser, $"[data-backend='web'] [data-endpoint='127.0.0.1:{_first.Port}']", "data-state"));
            Assert.True(Rate(browser, "web.kedge") > 0);
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }

        // Connect failures are retried on the other endpoint, which kept answering.
        Assert.True(answeredAfterKill > 0);
        Assert.Empty(browser.ConsoleErrors());
    }

    [Fact]
    public async Task Page_ConfigFileReloads_AddedRouteWithinTwoSecondsRejectedFileAsLastErrorWithItsPathRemovedRouteGone()
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
        using var browser = HeadlessChromium.Start();
        browser.Open(new Uri(kedge.AdminUrl, "/debug/dashboard"));
        await UpdatedTwiceAsync(browser);
        Assert.Null(Find(browser, "[data-route='added.kedge']"));

        var applied = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = runtime.GetChangeToken().RegisterChangeCallback(_ => applied.TrySetResult(Stopwatch.GetTimestamp()), null);
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: true));
        var appliedAt = await applied.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Eventually.TrueAsync(() => Find(browser, "[data-route='added.kedge']") is not null, "the reloaded route appears on the page", TimeSpan.FromSeconds(10));
        var lag = Stopwatch.GetElapsedTime(appliedAt);

        output.WriteLine($"route shown {lag.TotalMilliseconds:F0} ms after kedge applied the reloaded file");
        Assert.True(lag <= TimeSpan.FromSeconds(2), $"the page showed the new route {lag.TotalMilliseconds:F0} ms after kedge applied it");
        Assert.Equal("applied", Attribute(browser, "[data-reloads] tr[data-reload='file']", "data-result"));

        _logs.ExpectErrors(e => e.EventId.Name == "ConfigurationRejected");
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: true).Replace("\"Backend\": \"added\"", "\"Backend\": \"missing\"", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Text(browser, "[data-last-error]")?.Contains(file, StringComparison.Ordinal) == true, "the rejected reload shows as last error, with its file", TimeSpan.FromSeconds(10));

        var lastError = Text(browser, "[data-last-error]")!;
        Assert.Contains("$.Kedge.HttpRoutes[1].Backend", lastError, StringComparison.Ordinal);
        Assert.Contains("missing", lastError, StringComparison.Ordinal);
        Assert.Equal("rejected", Attribute(browser, "[data-reloads] tr[data-reload='file']", "data-result"));
        // The last good configuration stays in force, and on the page.
        Assert.NotNull(Find(browser, "[data-route='added.kedge']"));

        // A route a reload removes leaves the page, with its backend.
        await File.WriteAllTextAsync(file, NativeConfig(extraRoute: false));
        await Eventually.TrueAsync(() => Find(browser, "[data-route='added.kedge']") is null, "the removed route leaves the page", TimeSpan.FromSeconds(10));
        Assert.Null(Find(browser, "[data-backend='added']"));
        Assert.NotNull(Find(browser, "[data-route='web.kedge']"));
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
        var first = await Eventually.ValueAsync(() => Task.FromResult(Attribute(browser, "body", "data-updated")), v => v is not null, "the page renders the state");
        await Eventually.TrueAsync(() => Attribute(browser, "body", "data-updated") is { } v && v != first, "the page polls again");
    }

    // Read in one script call: the page re-renders every second, so an element found first may be gone when read.
    private static string? Attribute(HeadlessChromium browser, string selector, string attribute)
        => (string?)Script(browser, "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", selector, attribute);

    private static string? Text(HeadlessChromium browser, string selector)
        => (string?)Script(browser, "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector);

    private static object? Find(HeadlessChromium browser, string selector)
        => (bool)Script(browser, "return document.querySelector(arguments[0]) !== null;", selector)! ? selector : null;

    private static object? Script(HeadlessChromium browser, string script, params object[] arguments)
        => ((IJavaScriptExecutor)browser.Driver).ExecuteScript(script, arguments);

    private static double Rate(HeadlessChromium browser, string route)
        => Attribute(browser, $"[data-route='{route}']", "data-rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : double.NaN;

    private static List<string> Strings(HeadlessChromium browser, string script)
        => [.. ((IEnumerable<object>)((IJavaScriptExecutor)browser.Driver).ExecuteScript("return " + script)!).Select(o => (string)o)];
}
