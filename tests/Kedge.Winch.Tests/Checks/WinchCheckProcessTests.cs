using System.Text.Json;
using Kedge.Testing;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Checks;

/// <summary>The built <c>winch</c> run as a user runs it: <c>winch check …</c> in its own process.</summary>
public sealed class WinchCheckProcessTests
{
    [Fact]
    public async Task Process_CheckAgainstKedge_PrintsTheReportAndExitsWithItsCode()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var mapper = $$$"""{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}, {"direct": {"key": "{{{KedgeStandIn.NoRouteHost}}}", "url": "{KEDGE}"}}]}""";

        var (healthyCode, healthy, _) = await RunAsync(["check", .. kedge.Flags("""{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}]}""")]);
        var (brokenCode, broken, stderr) = await RunAsync(["check", .. kedge.Flags(mapper), "--output=json", "--timeout=5s"]);

        Assert.True(healthyCode == 0, healthy);
        Assert.Contains("✔ client certificate accepted", healthy, StringComparison.Ordinal);
        Assert.Equal(1, brokenCode);
        Assert.Equal(string.Empty, stderr);
        using var json = JsonDocument.Parse(broken);
        Assert.Equal("fail", json.RootElement.GetProperty("status").GetString());
        var failed = Assert.Single(CheckLines.JsonLines(json), l => l.GetProperty("status").GetString() == "fail");
        Assert.Equal("route " + KedgeStandIn.NoRouteHost, failed.GetProperty("area").GetString());
        Assert.Contains("It means: No route or adhoc rule claims the target.", failed.GetProperty("found").GetString(), StringComparison.Ordinal);
    }

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args) => ProcessRun.DotnetAsync(typeof(Kedge.Winch.Commands.WinchCommand).Assembly, args, TimeSpan.FromSeconds(60));
}
