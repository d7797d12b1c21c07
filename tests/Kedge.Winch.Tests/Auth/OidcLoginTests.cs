using System.Net;
using System.Net.Http.Json;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Auth;

public sealed class OidcLoginTests
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "corp"}]}""";

    [Fact]
    public async Task Login_BrowserFlowThroughWinch_TokenCachedUsedClearedAndRefreshed()
    {
        using var logs = new TestLogSink();
        await using var issuer = await TestIssuer.StartAsync(TimeProvider.System);
        var auth = $$$"""
            {"auth_sources": [{"name": "corp", "oidc": {
              "provider": "{{{issuer.Url}}}", "client_id": "{{{issuer.ClientId}}}", "secret": "{{{issuer.ClientSecret}}}",
              "scopes": ["email"], "path": "{DIR}/cache", "login_callback_path": "/login/callback"}}]}
            """;
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, auth);
        using var proxied = env.CreateProxiedClient();
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });

        // Not logged in yet: winch says where to log in.
        using var before = await proxied.GetAsync("http://orders.cluster-b.internal/");
        Assert.Equal(HttpStatusCode.BadGateway, before.StatusCode);
        Assert.Contains($"open {env.WinchHttpAddress}winch/login/corp in a browser", before.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);

        // The browser: winch → issuer (approves at once) → winch's callback.
        using var start = await browser.GetAsync(new Uri(env.WinchHttpAddress, "/winch/login/corp"));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith(issuer.Url + "authorize?", start.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", start.Headers.Location.Query, StringComparison.Ordinal);
        using var approved = await browser.GetAsync(start.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        Assert.StartsWith(env.WinchHttpAddress + "login/callback?code=", approved.Headers.Location!.ToString(), StringComparison.Ordinal);
        using var callback = await browser.GetAsync(approved.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
        Assert.Contains("is logged in", await callback.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Logged in: the ID token goes to kedge, and the cache file is private.
        var echo = (await proxied.GetFromJsonAsync<EchoReport>("http://orders.cluster-b.internal/", LoopbackServer.JsonOptions))!;
        var authorization = echo.Headers.Single(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.Equal("id-1", TestIssuer.SubjectOf(authorization["Bearer ".Length..]));
        var cacheFile = Directory.GetFiles(env.Dir.Combine("cache")).Single();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cacheFile));
        }

        // Clearing the token makes the next request refresh it with the cached refresh token.
        Assert.Equal("Token cleared", await browser.GetStringAsync(new Uri(env.WinchHttpAddress, "/winch/cleartoken/corp")));
        var refreshed = (await proxied.GetFromJsonAsync<EchoReport>("http://orders.cluster-b.internal/", LoopbackServer.JsonOptions))!;
        var second = refreshed.Headers.Single(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.Equal("id-2", TestIssuer.SubjectOf(second["Bearer ".Length..]));
        Assert.Equal(2, issuer.TokensIssued);
    }

    [Fact]
    public async Task Callback_UnknownState_500WithWinchError()
    {
        using var logs = new TestLogSink();
        await using var issuer = await TestIssuer.StartAsync(TimeProvider.System);
        var auth = $$$"""
            {"auth_sources": [{"name": "corp", "oidc": {"provider": "{{{issuer.Url}}}", "client_id": "{{{issuer.ClientId}}}", "path": "{DIR}/cache", "login_callback_path": "/login/callback"}}]}
            """;
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, auth);
        using var browser = env.CreateDirectClient();

        using var response = await browser.GetAsync("/login/callback?code=forged&state=forged");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("this login for auth source 'corp' is unknown", response.Headers.GetValues("X-Winch-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DebugMode_AddsInfoLogsHeader()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}]}""", extraFlags: ["--debug_mode"]);
        using var proxied = env.CreateProxiedClient();

        var echo = (await proxied.GetFromJsonAsync<EchoReport>("http://orders.cluster-b.internal/", LoopbackServer.JsonOptions))!;

        Assert.Equal("winch-" + Environment.UserName, echo.Headers.Single(h => h.Key.Equals("X-Kedge-Info-Logs", StringComparison.OrdinalIgnoreCase)).Value);
    }
}
