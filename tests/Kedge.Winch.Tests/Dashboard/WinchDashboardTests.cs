using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kedge.Testing;
using Kedge.Winch.Dashboard;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Dashboard;

/// <summary>winch's <c>/debug/dashboard</c> over real HTTP: headers, the loopback-Host guard, proxying kept intact, and the state.</summary>
public sealed class WinchDashboardTests
{
    private const string Mapper = """
        {"routes": [
          {"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "static"},
          {"regexp": {"exp": "([a-z]+)\\.cluster-c\\.internal", "url": "https://localhost:1"}}]}
        """;

    private const string Auth = """{"auth_sources": [{"name": "static", "token": {"token": "not-a-jwt-secret-value"}}]}""";

    [Theory]
    [InlineData("/debug/dashboard", "text/html")]
    [InlineData("/debug/dashboard/dashboard.js", "text/javascript")]
    [InlineData("/debug/dashboard/dashboard.css", "text/css")]
    [InlineData("/debug/dashboard/state", "application/json")]
    public async Task Dashboard_LoopbackHost_ServedWithStrictHeaders(string path, string contentType)
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        using var client = env.CreateDirectClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(WinchDashboard.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LocalHost")]
    [InlineData("[::1]")]
    public async Task Dashboard_OtherLoopbackNames_Served(string host)
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        using var client = env.CreateDirectClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/debug/dashboard/state");
        request.Headers.Host = $"{host}:{env.Winch.HttpPort}";

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/debug/dashboard")]
    [InlineData("GET", "/debug/dashboard/state")]
    [InlineData("GET", "/Debug/Dashboard/State")]
    [InlineData("OPTIONS", "/debug/dashboard/state")]
    public async Task Dashboard_CorsAllowsEveryOrigin_NoCorsHeaders(string method, string path)
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth, extraFlags: ["--cors_allowed_origin=*"]);
        using var client = env.CreateDirectClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        // A page elsewhere reads winch's dashboard with fetch(): its last_error may hold a device-login user code.
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "GET");

        using var response = await client.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), $"{method} {path} answered {(int)response.StatusCode} with Access-Control-Allow-Origin");
        Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
        Assert.NotEqual(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_RebindingHostInOriginForm_NoPage()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        using var client = env.CreateDirectClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/debug/dashboard/state");
        // What a page on attacker.example sends after its name was rebound to 127.0.0.1.
        request.Headers.Host = "attacker.example:" + env.Winch.HttpPort;

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("routes", body, StringComparison.Ordinal);
        Assert.DoesNotContain("orders.cluster-b.internal", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_AbsoluteFormForAnotherHost_IsProxiedNotAnswered()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        using var client = env.CreateProxiedClient();

        // A plain-HTTP backend reached directly through winch: its own /debug/dashboard, not winch's.
        using var response = await client.GetAsync($"http://localhost:{env.Backend.Port}/debug/dashboard");
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/debug/dashboard", echo!.Path);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task State_RoutesTokenStateAndRecentErrors_NoSecrets()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, Auth);
        using var proxied = env.CreateProxiedClient();
        using var client = env.CreateDirectClient();

        // kedge's no-route answer, and a winch failure (nothing listens at the second route's kedge).
        (await proxied.GetAsync("http://orders.cluster-b.internal" + WinchTestEnvironment.KedgeErrorPath)).Dispose();
        (await proxied.GetAsync("http://nothing.cluster-c.internal/")).Dispose();

        var text = await client.GetStringAsync("/debug/dashboard/state");
        using var state = JsonDocument.Parse(text);
        var root = state.RootElement;

        Assert.Equal(["orders.cluster-b.internal", @"([a-z]+)\.cluster-c\.internal"], root.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("pattern").GetString()));
        Assert.Equal(env.KedgeUrl, root.GetProperty("routes")[0].GetProperty("kedge_url").GetString());
        Assert.Equal("static", root.GetProperty("routes")[0].GetProperty("backend_auth").GetString());
        var source = Assert.Single(root.GetProperty("auth_sources").EnumerateArray());
        Assert.Equal("static", source.GetProperty("name").GetString());
        Assert.Equal("token", source.GetProperty("kind").GetString());
        Assert.Equal("valid", source.GetProperty("state").GetString());
        var errors = root.GetProperty("recent_errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal("nothing.cluster-c.internal", errors[0].GetProperty("target").GetString());
        Assert.Equal("transport-unknown-error", errors[0].GetProperty("type").GetString());
        Assert.Equal("orders.cluster-b.internal", errors[1].GetProperty("target").GetString());
        Assert.Equal("no-route", errors[1].GetProperty("type").GetString());
        Assert.Equal("kedge answered 502: No route or adhoc rule claims the target.", errors[1].GetProperty("message").GetString());
        Assert.True(root.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.DoesNotContain("not-a-jwt-secret-value", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_OidcSourceNotLoggedIn_AbsentThenErrorWithTheLoginToOpen()
    {
        using var logs = new TestLogSink();
        var mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}, "proxy_auth": "corp"}]}""";
        var auth = """{"auth_sources": [{"name": "corp", "oidc": {"provider": "https://issuer.cluster-b.test", "client_id": "winch", "path": "{DIR}/cache", "login_callback_path": "/login/callback"}}]}""";
        await using var env = await WinchTestEnvironment.StartAsync(logs, mapper, auth);
        using var client = env.CreateDirectClient();
        using var proxied = env.CreateProxiedClient();
        var login = $"not logged in: open {env.WinchHttpAddress}winch/login/corp in a browser";

        using (var before = JsonDocument.Parse(await client.GetStringAsync("/debug/dashboard/state")))
        {
            var source = Assert.Single(before.RootElement.GetProperty("auth_sources").EnumerateArray());
            Assert.Equal("oidc", source.GetProperty("kind").GetString());
            Assert.Equal("absent", source.GetProperty("state").GetString());
            Assert.Equal(login, source.GetProperty("login").GetString());
            Assert.Equal(JsonValueKind.Null, source.GetProperty("last_error").ValueKind);
        }

        // A request needs the token: the source fails (no issuer is contacted without a login) and records why.
        (await proxied.GetAsync("http://orders.cluster-b.internal/")).Dispose();

        using var after = JsonDocument.Parse(await client.GetStringAsync("/debug/dashboard/state"));
        var failed = Assert.Single(after.RootElement.GetProperty("auth_sources").EnumerateArray());
        Assert.Equal("error", failed.GetProperty("state").GetString());
        Assert.StartsWith("auth source 'corp' is not logged in", failed.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, failed.GetProperty("last_error_at").ValueKind);
        Assert.Equal(login, failed.GetProperty("login").GetString());
        var error = Assert.Single(after.RootElement.GetProperty("recent_errors").EnumerateArray());
        Assert.Equal("auth-error", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("no-route", "no-route")]
    [InlineData("Bearer eyJhbGciOi-secret", "unknown")]
    [InlineData("", "unknown")]
    [InlineData(null, "unknown")]
    public void RecentErrors_KedgeErrorType_OnlyKnownTypeNamesAreStored(string? header, string stored)
    {
        var errors = new WinchRecentErrors(TimeProvider.System);

        errors.AddKedgeError("orders.cluster-b.internal", 502, header);

        Assert.Equal(stored, Assert.Single(errors.Snapshot()).Type);
    }

    [Fact]
    public void RecentErrors_MoreThanCapacity_KeepsTheNewest()
    {
        var errors = new WinchRecentErrors(TimeProvider.System);
        for (var i = 0; i < WinchRecentErrors.Capacity + 5; i++)
        {
            errors.Add($"host{i}", "t", "m");
        }

        var snapshot = errors.Snapshot();

        Assert.Equal(WinchRecentErrors.Capacity, snapshot.Count);
        Assert.Equal($"host{WinchRecentErrors.Capacity + 4}", snapshot[0].Target);
        Assert.Equal("host5", snapshot[^1].Target);
    }
}
