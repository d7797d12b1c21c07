namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// Path forms on raw HTTP/1.1 over mTLS against a route with path rules (<c>/v1/*</c>), the same route with
/// <c>AllowAmbiguousPaths</c>, and a route without path rules: the status, and the request target the backend received.
/// </summary>
public sealed class PathFormTests(HostAndPathFixture fixture) : IClassFixture<HostAndPathFixture>
{
    public static TheoryData<string, string> AmbiguousForms() => new()
    {
        // Request target, what the X-Kedge-Error says about it.
        { "/v1/..;/admin", "';' path parameter" },
        { "/v1;a=b/x", "';' path parameter" },
        { "/v1/x;jsessionid=1", "';' path parameter" },
        { "/v1/..%3B/admin", "';' path parameter" }, // Kestrel decodes %3B and YARP forwards it as a raw ';'
        { "/v1/..%3b/admin", "';' path parameter" },
        { "/v1%3Ba=b/x", "';' path parameter" },
        { "/v1/%2e%2e/admin", "encoded dot segment" },
        { "/v1/.%2e/admin", "encoded dot segment" },
        { "/v1/%2E/x", "encoded dot segment" },
        { "/v1/..%2Fadmin", "encoded slash" },
        { "/v1/..%2fadmin", "encoded slash" },
        { "/v1/%5c..%5cadmin", "backslash" },
        { "/v1/\\..\\admin", "backslash" },
        { "http://paths.test/v1/..;/admin", "';' path parameter" },
        { "http://paths.test/v1/..%3B/admin", "';' path parameter" },
        { "http://paths.test/v1/..%2Fadmin", "encoded slash" },
        { "http://paths.test/v1/%2e%2e/admin", "encoded dot segment" },
        { "http://paths.test/v1/%5c..%5cadmin", "backslash" },
    };

    [Theory]
    [MemberData(nameof(AmbiguousForms))]
    public async Task PathRuledRoute_AmbiguousForm_400NothingForwarded(string target, string reason)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: paths.test\n");

        fixture.AssertRefused(response, 400, "unknown-route-error", reason);
        Assert.Equal(before, fixture.Backend.RequestCount);
    }

    [Fact]
    public async Task PathRuledRoute_AmbiguousForm_CountedAsCallerError()
    {
        await fixture.SendAsync("GET /v1/..;/admin HTTP/1.1\nHost: paths.test\n");
        using var admin = new HttpClient { BaseAddress = fixture.Kedge.AdminUrl };

        var metrics = await admin.GetStringAsync("/metrics");

        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("kedge_proxy_errors_total{", StringComparison.Ordinal)
            && line.Contains("backend_name=\"echo\"", StringComparison.Ordinal) && line.Contains("type=\"unknown-route-error\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/v1/..;/admin", 400)]
    [InlineData("/v1/x%5C..%5Cadmin", 400)]
    [InlineData("/v1/..%3B/admin", 400)]
    [InlineData("/v1/x", 200)]
    public async Task PathRuledRoute_Http2_SameRules(string path, int status)
    {
        using var http = Server.KedgeTestHttp.Create(fixture.Kedge, fixture.Kedge.ClientCertificate);
        using var request = Server.KedgeTestHttp.Request("paths.test", path, version: System.Net.HttpVersion.Version20);

        using var response = await http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(System.Net.HttpVersion.Version20, response.Version);
    }

    public static TheoryData<string, int, string?> PlainForms() => new()
    {
        // Request target, expected status, raw target the backend received (null: nothing forwarded).
        { "/v1/x", 200, "/v1/x" },
        { "/v1/x?next=..;/admin&p=%2F", 200, "/v1/x?next=..;/admin&p=%2F" },
        { "/v1/./x", 200, "/v1/x" },
        { "/v1/a/../x", 200, "/v1/x" },
        { "/v1/../admin", 502, null },
        { "/v1/a%252Fb", 200, "/v1/a%252Fb" },
        { "/v1/%41", 200, "/v1/A" },
        { "/exact", 200, "/exact" },
        { "//v1/x", 502, null },
        { "/admin", 502, null },
        { "http://paths.test/v1/x", 200, "/v1/x" },
    };

    [Theory]
    [MemberData(nameof(PlainForms))]
    public async Task PathRuledRoute_PlainForm_RoutedOnWhatTheBackendReceives(string target, int status, string? backendReceives)
    {
        var before = fixture.Backend.RequestCount;

        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: paths.test\n");

        Assert.True(response.Status == status, response.Text);
        Assert.Equal(backendReceives, response.Echo?.RawTarget);
        Assert.Equal(backendReceives is null ? before : before + 1, fixture.Backend.RequestCount);
    }

    [Theory]
    [InlineData("/v1/..;/admin", "/v1/..;/admin")]
    [InlineData("/v1/..%2Fadmin", "/v1/..%252Fadmin")]
    [InlineData("/v1/%5c..%5cadmin", "/v1/%5C..%5Cadmin")]
    [InlineData("/v1;a=b/x", null)]
    public async Task AllowAmbiguousPaths_AmbiguousForm_ForwardedAsKestrelDecodedIt(string target, string? backendReceives)
    {
        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: lenient.test\n");

        Assert.True(response.Status == (backendReceives is null ? 502 : 200), response.Text);
        Assert.Equal(backendReceives, response.Echo?.RawTarget);
    }

    [Theory]
    [InlineData("/v1/..;/admin", "/v1/..;/admin")]
    [InlineData("/v1/%2e%2e/admin", "/admin")]
    [InlineData("/v1/..%2Fadmin", "/v1/..%252Fadmin")]
    public async Task RouteWithoutPathRules_AmbiguousForm_ForwardedUnchanged(string target, string backendReceives)
    {
        var response = await fixture.SendAsync($"GET {target} HTTP/1.1\nHost: any.test\n");

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(backendReceives, response.Echo!.RawTarget);
    }
}
