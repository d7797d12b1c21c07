using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Kedge.Client.Grpc;
using Kedge.Common.Dashboards;
using Kedge.Testing.Greeter;
using Kedge.FunctionalTests.Server;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Browser;

/// <summary>
/// The dashboard's HTTP side on a real kedge (in-process, real TLS, real backends): the JSON state, its security
/// headers, that no secret leaves, and the <c>/debug</c> gate.
/// </summary>
public sealed class KedgeDashboardStateTests : IAsyncLifetime
{
    private const string Token = "dashboard-test-static-token-3f9a1c";
    private const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static readonly string[] DashboardPaths = ["/debug/dashboard", "/debug/dashboard/app.js", "/debug/dashboard/app.css", "/debug/dashboard/state"];

    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    private KedgeServerOptions Routing() => new()
    {
        HttpRoutes =
        [
            new() { Backend = "web", Host = "web.kedge", PathRules = ["/app/*"], Headers = new(StringComparer.OrdinalIgnoreCase) { ["x-tenant"] = "tenant-header-value-77" } },
            new() { Name = "catch-all", Backend = "web", Host = "web.kedge" },
            new() { Backend = "closed", Host = "closed.kedge" },
        ],
        GrpcRoutes = [new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter" }],
        HttpBackends =
        [
            new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } },
            // Nothing listens on port 1: every connect is refused.
            new() { Name = "closed", Static = new() { Addresses = ["127.0.0.1:1"] } },
        ],
        GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
    };

    [Fact]
    public async Task State_RunningKedge_RoutesInMatchOrderBackendsReloadsCertificatesVersion()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        using var state = JsonDocument.Parse(await admin.GetStringAsync("/debug/dashboard/state"));
        var root = state.RootElement;

        var routes = root.GetProperty("routes").EnumerateArray().ToList();
        Assert.Equal(["web.kedge /app/*", "catch-all", "closed.kedge", "kedge.testing.Greeter"], routes.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(["http", "http", "http", "grpc"], routes.Select(r => r.GetProperty("protocol").GetString()));
        Assert.Equal("host web.kedge; path /app/*; headers x-tenant", routes[0].GetProperty("matchers").GetString());
        Assert.Equal(0, routes[1].GetProperty("requestsPerSecond").GetDouble());
        var backends = root.GetProperty("backends").EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!);
        Assert.Equal(["closed", "web", "greeter"], backends.Keys);
        var endpoint = Assert.Single(backends["web"].GetProperty("endpoints").EnumerateArray());
        Assert.Equal($"127.0.0.1:{_backend.Port}", endpoint.GetProperty("authority").GetString());
        Assert.Equal("healthy", endpoint.GetProperty("state").GetString());
        Assert.Equal("static", backends["web"].GetProperty("resolver").GetString());
        Assert.Equal(JsonValueKind.Null, backends["web"].GetProperty("problem").ValueKind);
        var lastGood = root.GetProperty("reloads").GetProperty("lastGood");
        Assert.Equal("applied", lastGood.GetProperty("result").GetString());
        Assert.Equal("code", lastGood.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("reloads").GetProperty("lastError").ValueKind);
        var certificates = root.GetProperty("certificates").EnumerateArray().ToDictionary(c => c.GetProperty("role").GetString()!);
        Assert.Contains("kedge.test", certificates["server"].GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.InRange(certificates["server"].GetProperty("daysLeft").GetInt32(), 28, 30);
        Assert.Contains("Kedge Test CA", certificates["client_ca"].GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("kedge ", root.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.False(root.GetProperty("discovery").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task State_RequestsThroughKedge_RateErrorsAndP99OfTheRouteOnly()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var http = KedgeTestHttp.Create(kedge, kedge.ClientCertificate);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        for (var i = 0; i < 20; i++)
        {
            using var ok = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/other"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            using var failed = await http.SendAsync(KedgeTestHttp.Request("closed.kedge"));
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }

        var routes = await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await admin.GetStringAsync("/debug/dashboard/state")).RootElement.GetProperty("routes").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!),
            r => r["catch-all"].GetProperty("requestsPerSecond").GetDouble() == 2.0 && r["closed.kedge"].GetProperty("errorsPerSecond").GetDouble() == 0.5,
            "20 requests on catch-all and 5 kedge errors on empty.kedge within the 10 s window");

        Assert.Equal(0, routes["catch-all"].GetProperty("errorRatio").GetDouble());
        Assert.True(routes["catch-all"].GetProperty("p99Milliseconds").GetDouble() > 0);
        Assert.Equal(1.0, routes["closed.kedge"].GetProperty("errorRatio").GetDouble());
        Assert.Equal(0, routes["web.kedge /app/*"].GetProperty("requestsPerSecond").GetDouble());
        Assert.Equal(JsonValueKind.Null, routes["web.kedge /app/*"].GetProperty("p99Milliseconds").ValueKind);
        using var state = JsonDocument.Parse(await admin.GetStringAsync("/debug/dashboard/state"));
        var closed = state.RootElement.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "closed");
        var endpoint = Assert.Single(closed.GetProperty("endpoints").EnumerateArray());
        Assert.Contains(endpoint.GetProperty("state").GetString(), new[] { "ejected", "failing" });
        Assert.Contains("127.0.0.1:1", endpoint.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_GrpcCallsOkAndUnimplemented_TheNonOkStatusCountsAsAnError()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var client = kedge.CreateClient(_logs);
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var missing = new Method<HelloRequest, HelloReply>(MethodType.Unary, "kedge.testing.Greeter", "Missing",
            Marshallers.Create(r => r.ToByteArray(), HelloRequest.Parser.ParseFrom), Marshallers.Create(r => r.ToByteArray(), HelloReply.Parser.ParseFrom));

        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "dashboard" });
        var failed = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().AsyncUnaryCall(missing, null, new CallOptions(), new HelloRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, failed.StatusCode);
        var route = await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await admin.GetStringAsync("/debug/dashboard/state")).RootElement.GetProperty("routes").EnumerateArray().Single(r => r.GetProperty("protocol").GetString() == "grpc"),
            r => r.GetProperty("requestsPerSecond").GetDouble() == 0.2,
            "both calls are counted");
        Assert.Equal(0.1, route.GetProperty("errorsPerSecond").GetDouble());
        Assert.Equal(0.5, route.GetProperty("errorRatio").GetDouble());
    }

    [Fact]
    public void DashboardSecurityHeaders_TheOneDefinition_IsTheBriefsStrictPolicy()
        => Assert.Equal(Csp, DashboardSecurityHeaders.ContentSecurityPolicy);

    [Fact]
    public async Task Dashboard_EveryResponse_StrictPolicyAndHardeningHeaders()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        foreach (var path in DashboardPaths.Append("/debug/dashboard/missing"))
        {
            using var response = await admin.GetAsync(path);
            Assert.Equal(path.EndsWith("missing", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Csp, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            // Exactly the headers kedge and winch share, defined once.
            Assert.All(DashboardSecurityHeaders.All, h => Assert.Equal(h.Value, string.Join(",", response.Headers.GetValues(h.Key))));
        }

        using var page = await admin.GetAsync("/debug/dashboard");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // Same-origin assets only, nothing inline.
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("//", html.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", await admin.GetStringAsync("/debug/dashboard/app.js"), StringComparison.Ordinal);
        // Outside the dashboard, the admin port's answers are as before.
        using var health = await admin.GetAsync("/_healthz");
        Assert.False(health.Headers.Contains("Content-Security-Policy"));
    }

    [Theory]
    [InlineData("/Debug/Dashboard")]
    [InlineData("/DEBUG/DASHBOARD/app.js")]
    [InlineData("/debug/Dashboard/state")]
    [InlineData("/Debug/dashboard/app.css")]
    public async Task Dashboard_PathInAnotherCase_ServedWithTheSameStrictHeaders(string path)
    {
        // Routing matches paths case-insensitively, so every spelling that serves the page must carry its headers.
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        using var response = await admin.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Csp, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task State_CallersUploadBreaksMidBody_EndpointStaysHealthy()
    {
        // The caller's broken upload is the caller's failure, not the endpoint's: the endpoint must not turn "failing".
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing());
        using var http = KedgeTestHttp.Create(kedge, kedge.ClientCertificate);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        for (var i = 0; i < 3; i++)
        {
            var request = KedgeTestHttp.Request("web.kedge", "/upload");
            request.Method = HttpMethod.Post;
            request.Content = new StreamContent(new BreakingUpload());
            await Assert.ThrowsAnyAsync<Exception>(() => http.SendAsync(request));
            request.Dispose();
        }

        // Requests that pass through kedge after the broken ones: by then kedge has handled the broken uploads.
        await Eventually.TrueAsync(async () =>
        {
            using var ok = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/after"));
            return ok.StatusCode == HttpStatusCode.OK;
        });
        using var state = JsonDocument.Parse(await admin.GetStringAsync("/debug/dashboard/state"));
        var web = state.RootElement.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "web");
        var endpoint = Assert.Single(web.GetProperty("endpoints").EnumerateArray());
        Assert.Equal("healthy", endpoint.GetProperty("state").GetString());
    }

    [Fact]
    public async Task State_StaticTokenKeysAndHeaderValues_NoneOfThemServed()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing(), settings => settings.Auth = new KedgeAuthSettings { UnsafeBearerToken = Token });
        using var http = KedgeTestHttp.Create(kedge, kedge.ClientCertificate);
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        using (var routed = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/app/x", "Bearer " + Token)))
        {
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        }

        using (var refused = await http.SendAsync(KedgeTestHttp.Request("web.kedge", "/app/x", "Bearer wrong-" + Token)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var state = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/debug/dashboard/state"),
            s => JsonDocument.Parse(s).RootElement.GetProperty("routes")[1].GetProperty("requestsPerSecond").GetDouble() > 0,
            "the requests are counted");

        var serverKey = await File.ReadAllTextAsync(kedge.Dir.Combine("server", "tls.key"));
        var keyBody = serverKey.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, state, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", state, StringComparison.Ordinal);
        Assert.All(keyBody, line => Assert.DoesNotContain(line, state, StringComparison.Ordinal));
        Assert.DoesNotContain("tenant-header-value-77", state, StringComparison.Ordinal);
        Assert.DoesNotContain("Bearer", state, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_ProtectedDebugEndpoints_RefusedWithoutTheTokenServedWithIt()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing(), settings => settings.Auth = new KedgeAuthSettings { UnsafeBearerToken = Token, ProtectDebugEndpoints = true });
        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };

        foreach (var path in DashboardPaths)
        {
            using var anonymous = await admin.GetAsync(path);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
            wrong.Headers.TryAddWithoutValidation("Proxy-Authorization", "Bearer not-" + Token);
            using var wrongAnswer = await admin.SendAsync(wrong);
            using var authorized = new HttpRequestMessage(HttpMethod.Get, path);
            authorized.Headers.TryAddWithoutValidation("Proxy-Authorization", "Bearer " + Token);
            using var authorizedAnswer = await admin.SendAsync(authorized);

            Assert.True(anonymous.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{path}: {anonymous.StatusCode}");
            Assert.True(wrongAnswer.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{path}: {wrongAnswer.StatusCode}");
            Assert.Equal(HttpStatusCode.OK, authorizedAnswer.StatusCode);
            Assert.Equal(Csp, string.Join(",", anonymous.Headers.GetValues("Content-Security-Policy")));
            Assert.DoesNotContain("routes", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>An upload that sends 64 KiB, then breaks as a caller's failing disk or aborted client would.</summary>
    private sealed class BreakingUpload : Stream
    {
        private int _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_sent >= 64 * 1024)
            {
                throw new IOException("the caller's upload broke on purpose");
            }

            var n = Math.Min(count, 16 * 1024);
            Array.Fill(buffer, (byte)'x', offset, n);
            _sent += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
