using System.Diagnostics;
using Kedge.Testing;
using Kedge.Testing.Browser;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Dashboard;

/// <summary>winch's dashboard in a real headless Chromium (Debian chromium and chromedriver).</summary>
[Collection(SharedChromium.Collection)]
public sealed class WinchDashboardBrowserTests(SharedChromium chromium)
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "static"}]}""";
    private const string Auth = """{"auth_sources": [{"name": "static", "token": {"token": "browser-test-token"}}]}""";

    [Fact]
    public async Task Page_LoadsWithoutConsoleErrors_ShowsRoutesAndAProxyErrorWithin2Seconds()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        var browser = chromium.Fresh();

        browser.Open(new Uri(env.WinchHttpAddress, "/debug/dashboard"));

        await Eventually.TrueAsync(() => browser.TextOf("#routes tbody")?.Contains("orders.cluster-b.internal", StringComparison.Ordinal) == true, "the routes are shown");
        Assert.Contains(env.KedgeUrl, browser.TextOf("#routes tbody"), StringComparison.Ordinal);
        Assert.Contains("static", browser.TextOf("#auth tbody"), StringComparison.Ordinal);
        Assert.Contains("valid", browser.TextOf("#auth tbody"), StringComparison.Ordinal);
        Assert.Contains("no errors since winch started", browser.TextOf("#errors tbody"), StringComparison.Ordinal);

        // A real request through winch that kedge refuses with its no-route error.
        using var proxied = env.CreateProxiedClient();
        (await proxied.GetAsync("http://orders.cluster-b.internal" + WinchTestEnvironment.KedgeErrorPath)).Dispose();
        // The lag is measured from winch's answer (winch records the error before it answers) to the page showing it.
        // The wait is generous so a slow machine fails on the measured lag, with its number, not on the wait.
        var answeredAt = Stopwatch.GetTimestamp();
        await Eventually.TrueAsync(
            () => browser.TextOf("#errors tbody")?.Contains("no-route", StringComparison.Ordinal) == true,
            "the proxy error appears in recent errors",
            TimeSpan.FromSeconds(15));
        var lag = Stopwatch.GetElapsedTime(answeredAt);
        Assert.True(lag <= TimeSpan.FromSeconds(2), $"the page showed the proxy error {lag.TotalMilliseconds:F0} ms after winch answered the request");

        var errorsText = browser.TextOf("#errors tbody")!;
        Assert.Contains("orders.cluster-b.internal", errorsText, StringComparison.Ordinal);
        Assert.Contains("No route or adhoc rule claims the target.", errorsText, StringComparison.Ordinal);
        Assert.DoesNotContain("browser-test-token", browser.Driver.PageSource, StringComparison.Ordinal);
        Assert.Empty(browser.ConsoleErrors());
    }

    [Fact]
    public async Task Page_OpenedByANonLoopbackName_NoPage()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        var browser = chromium.Fresh();

        // As after DNS rebinding: the browser reaches 127.0.0.1 by another name and sends that name as Host.
        browser.Driver.ExecuteCdpCommand("Network.enable", new Dictionary<string, object?>());
        browser.Driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?> { ["headers"] = new Dictionary<string, object?> { ["Host"] = "rebound.example:" + env.Winch.HttpPort } });
        browser.Open(new Uri(env.WinchHttpAddress, "/debug/dashboard"));

        Assert.Null(browser.Find("#routes"));
        Assert.DoesNotContain("orders.cluster-b.internal", browser.Driver.PageSource, StringComparison.Ordinal);

        // The same browser with its own Host header gets the page: the name alone made the difference.
        browser.Driver.ExecuteCdpCommand("Network.setExtraHTTPHeaders", new Dictionary<string, object?> { ["headers"] = new Dictionary<string, object?>() });
        browser.Open(new Uri(env.WinchHttpAddress, "/debug/dashboard"));
        await Eventually.TrueAsync(() => browser.TextOf("#routes tbody")?.Contains("orders.cluster-b.internal", StringComparison.Ordinal) == true, "the page loads by 127.0.0.1");
    }
}
