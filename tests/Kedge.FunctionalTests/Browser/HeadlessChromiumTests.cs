using Kedge.Testing;
using Kedge.Testing.Browser;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Kedge.FunctionalTests.Browser;

/// <summary>
/// The browser harness itself: the dashboard tests' "no console errors, no blocked resources" can only pass for the
/// right reason if a script error and a Content-Security-Policy refusal do show up.
/// </summary>
[Collection(SharedChromium.Collection)]
public sealed class HeadlessChromiumTests(SharedChromium chromium)
{
    private const string StrictPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    [Fact]
    public async Task ConsoleErrors_PageBreaksItsPolicyAndThrows_BothReported()
    {
        await using var server = await LoopbackServer.StartAsync(new LoopbackServerOptions(), map: app =>
        {
            app.MapGet("/page", (HttpContext context) =>
            {
                context.Response.Headers.ContentSecurityPolicy = StrictPolicy;
                return Results.Content("""
                    <!doctype html><html><head><title>t</title><script src="/ok.js"></script></head>
                    <body><p id="out">static</p><script>document.getElementById('out').textContent = 'inline ran';</script></body></html>
                    """, "text/html");
            });
            app.MapGet("/ok.js", () => Results.Text("window.addEventListener('load', () => { document.title = 'loaded'; throw new Error('thrown on purpose'); });", "text/javascript"));
        });
        var browser = chromium.Fresh();

        browser.Open(new Uri(server.BaseAddress, "/page"));

        await Eventually.TrueAsync(() => browser.Driver.Title == "loaded", "the same-origin script ran");
        Assert.Equal("static", browser.TextOf("#out"));
        var errors = await Eventually.ValueAsync(() => Task.FromResult(browser.ConsoleErrors()), e => e.Count >= 2, "both errors reach the console");
        Assert.Contains(errors, e => e.Contains("Content Security Policy", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("thrown on purpose", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_PageLoadsScriptsFromOutsideLoopback_EachRefusedAtOnceThroughTheDeadProxy()
    {
        // The tests must never reach beyond loopback: a name or an address outside it goes to a proxy on a closed
        // loopback port (so the browser resolves nothing and connects nowhere), and fails at once.
        await using var server = await LoopbackServer.StartAsync(new LoopbackServerOptions(), map: app =>
        {
            app.MapGet("/page", () => Results.Content("""
                <!doctype html><html><head><title>t</title>
                <script src="https://example.com/x.js"></script><script src="http://192.0.2.1/y.js"></script></head>
                <body><p id="out">static</p></body></html>
                """, "text/html"));
        });
        var browser = chromium.Fresh();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        browser.Open(new Uri(server.BaseAddress, "/page"));
        var errors = await Eventually.ValueAsync(() => Task.FromResult(browser.ConsoleErrors()), e => e.Count >= 2, "both outside loads fail");
        var took = watch.Elapsed;

        Assert.Equal("static", browser.TextOf("#out"));
        Assert.Contains(errors, e => e.Contains("example.com/x.js", StringComparison.Ordinal) && e.Contains("ERR_PROXY_CONNECTION_FAILED", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("192.0.2.1/y.js", StringComparison.Ordinal) && e.Contains("ERR_PROXY_CONNECTION_FAILED", StringComparison.Ordinal));
        Assert.True(took < TimeSpan.FromSeconds(5), $"the outside loads failed after {took.TotalMilliseconds:F0} ms, not at once");
    }

    [Fact]
    public async Task TextOfAndAttributeOf_ElementReplacedContinuously_AlwaysReadWhole()
    {
        // The page swaps its element for a new one all the time, as the dashboards re-render: a reader that finds the
        // element first and reads it after may find it gone.
        await using var server = await LoopbackServer.StartAsync(new LoopbackServerOptions(), map: app =>
        {
            app.MapGet("/page", () => Results.Content("""<!doctype html><html><head><title>t</title><script src="/swap.js"></script></head><body><p id="out" data-n="0">0</p></body></html>""", "text/html"));
            app.MapGet("/swap.js", () => Results.Text("""
                let n = 0;
                function swap() { const p = document.createElement('p'); p.id = 'out'; n++; p.dataset.n = String(n); p.textContent = String(n); document.getElementById('out').replaceWith(p); }
                window.addEventListener('load', () => { document.title = 'swapping'; setInterval(() => { for (let i = 0; i < 50; i++) swap(); }, 0); });
                """, "text/javascript"));
        });
        var browser = chromium.Fresh();
        browser.Open(new Uri(server.BaseAddress, "/page"));
        await Eventually.TrueAsync(() => browser.Driver.Title == "swapping");

        for (var i = 0; i < 100; i++)
        {
            Assert.NotNull(browser.TextOf("#out"));
            Assert.NotNull(browser.AttributeOf("#out", "data-n"));
        }
    }

    [Fact]
    public async Task ConsoleErrors_PageWithinItsPolicy_None()
    {
        await using var server = await LoopbackServer.StartAsync(new LoopbackServerOptions(), map: app =>
        {
            app.MapGet("/page", (HttpContext context) =>
            {
                context.Response.Headers.ContentSecurityPolicy = StrictPolicy;
                return Results.Content("""<!doctype html><html><head><title>t</title><script src="/ok.js"></script></head><body><p id="out">static</p></body></html>""", "text/html");
            });
            app.MapGet("/ok.js", () => Results.Text("window.addEventListener('load', () => { document.getElementById('out').textContent = 'script ran'; });", "text/javascript"));
        });
        var browser = chromium.Fresh();

        browser.Open(new Uri(server.BaseAddress, "/page"));

        await Eventually.TrueAsync(() => browser.TextOf("#out") == "script ran");
        Assert.Empty(browser.ConsoleErrors());
    }
}
