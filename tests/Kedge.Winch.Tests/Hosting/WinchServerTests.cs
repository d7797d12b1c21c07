using System.Net;
using System.Net.Http.Json;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Hosting;

public sealed class WinchServerTests
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}]}""";

    [Fact]
    public async Task MonitoringAddress_HealthVersionMetricsMovedOffTheProxyPort()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, extraFlags: ["--server_http_monitoring_address=127.0.0.1:0", "--server_metrics_path=/internal/metrics"]);
        using var monitoring = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{env.Winch.MonitoringPort}") };
        using var proxyPort = env.CreateDirectClient();

        Assert.Equal("winch isok", await monitoring.GetStringAsync("/healthz"));
        Assert.Contains("# TYPE", await monitoring.GetStringAsync("/internal/metrics"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await proxyPort.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxyPort.GetAsync("/wpad.dat")).StatusCode);
    }

    [Fact]
    public async Task Listeners_BoundToIpv4LoopbackOnly()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper);

        var addresses = env.Winch.App.Urls;

        Assert.All(addresses, a => Assert.StartsWith("http://127.0.0.1:", a, StringComparison.Ordinal));
        Assert.Equal(2, addresses.Count);
    }

    [Fact]
    public async Task Cors_AllowedOriginGetsHeaderPreflightAnsweredOthersGetNone()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, Mapper, extraFlags: ["--cors_allowed_origin=https://dev.example.com"]);
        using var client = env.CreateProxiedClient();

        using var allowed = new HttpRequestMessage(HttpMethod.Get, "http://orders.cluster-b.internal/");
        allowed.Headers.Add("Origin", "https://dev.example.com");
        using var allowedResponse = await client.SendAsync(allowed);
        using var other = new HttpRequestMessage(HttpMethod.Get, "http://orders.cluster-b.internal/");
        other.Headers.Add("Origin", "https://evil.example.com");
        using var otherResponse = await client.SendAsync(other);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "http://orders.cluster-b.internal/");
        preflight.Headers.Add("Origin", "https://dev.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var preflightResponse = await client.SendAsync(preflight);

        Assert.Equal("https://dev.example.com", allowedResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(otherResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal("GET, POST, HEAD", preflightResponse.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal(2, env.Kedge.RequestCount);
    }

    [Fact]
    public async Task KubeTokenFile_TokenFromFileSentAsAuthorization()
    {
        using var logs = new TestLogSink();
        using var dir = new TempDirectory();
        var tokenFile = dir.Combine("token");
        await File.WriteAllTextAsync(tokenFile, "file-token-1");
        var kubeconfig = dir.Combine("config");
        await File.WriteAllTextAsync(kubeconfig, $"apiVersion: v1\nkind: Config\nusers:\n- name: sa\n  user:\n    tokenFile: {tokenFile}\n");
        await using var env = await WinchTestEnvironment.StartAsync(
            logs,
            """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "kube"}]}""",
            $$$"""{"auth_sources": [{"name": "kube", "kube": {"user": "sa", "path": "{{{kubeconfig}}}"}}]}""");
        using var client = env.CreateProxiedClient();

        var echo = (await client.GetFromJsonAsync<EchoReport>("http://orders.cluster-b.internal/", LoopbackServer.JsonOptions))!;

        Assert.Equal("Bearer file-token-1", echo.Headers.Single(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value);
    }
}
