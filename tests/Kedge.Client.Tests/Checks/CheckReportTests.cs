using System.Text.Json;
using Kedge.Common.Checks;

namespace Kedge.Client.Tests.Checks;

public class CheckReportTests
{
    private static readonly CheckResult Passed = CheckResult.Pass("configuration", "routing", "routing valid: 1 HTTP routes");
    private static readonly CheckResult Warned = CheckResult.Warn("routing", "HTTP backend 'spare'", "no HTTP route uses it", "delete it");
    private static readonly CheckResult Failed = CheckResult.Fail("certificates", "server certificate expiry", "expired", "renew it");

    [Theory]
    [InlineData(new[] { 0 }, CheckReport.ExitAllPassed)]
    [InlineData(new[] { 0, 1 }, CheckReport.ExitWarnings)]
    [InlineData(new[] { 1, 0, 2 }, CheckReport.ExitFailed)]
    [InlineData(new[] { 2 }, CheckReport.ExitFailed)]
    [InlineData(new int[0], CheckReport.ExitAllPassed)]
    public void ExitCode_WorstLine_Decides(int[] statuses, int expected)
    {
        var report = new CheckReport([.. statuses.Select(s => new[] { Passed, Warned, Failed }[s])]);

        Assert.Equal(expected, report.ExitCode);
    }

    [Fact]
    public void ToTable_LinesOfSeveralAreas_GroupedByAreaInFirstOrderWithFixesAndCount()
    {
        var report = new CheckReport([Passed, Warned, CheckResult.Pass("configuration", "settings", "settings valid"), Failed]);

        Assert.Equal(
            """
            configuration
              ✔ routing                    routing valid: 1 HTTP routes
              ✔ settings                   settings valid

            routing
              ⚠ HTTP backend 'spare'       no HTTP route uses it
                                           fix: delete it

            certificates
              ✘ server certificate expiry  expired
                                           fix: renew it

            2 passed, 1 warning, 1 failed

            """.ReplaceLineEndings("\n"),
            report.ToTable());
    }

    [Fact]
    public void ToJson_Report_HasTheVerdictCountsAndEveryLine()
    {
        var report = new CheckReport([Passed, Warned, Failed]);

        using var json = JsonDocument.Parse(report.ToJson());

        var root = json.RootElement;
        Assert.Equal("fail", root.GetProperty("status").GetString());
        Assert.Equal(1, root.GetProperty("exit_code").GetInt32());
        Assert.Equal((1, 1, 1), (root.GetProperty("passed").GetInt32(), root.GetProperty("warnings").GetInt32(), root.GetProperty("failed").GetInt32()));
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(3, checks.Count);
        Assert.Equal(
            [("configuration", "routing", "pass", "routing valid: 1 HTTP routes", (string?)null), ("routing", "HTTP backend 'spare'", "warn", "no HTTP route uses it", "delete it"), ("certificates", "server certificate expiry", "fail", "expired", "renew it")],
            checks.Select(c => (c.GetProperty("area").GetString()!, c.GetProperty("name").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("found").GetString()!, c.GetProperty("fix").GetString())));
        Assert.Equal(JsonValueKind.Null, checks[0].GetProperty("fix").ValueKind);
        Assert.Contains("\"HTTP backend 'spare'\"", report.ToJson(), StringComparison.Ordinal); // readable, not \u0027
    }

    [Fact]
    public void ToJson_OnlyWarnings_StatusWarnExitTwo()
    {
        using var json = JsonDocument.Parse(new CheckReport([Passed, Warned]).ToJson());

        Assert.Equal("warn", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public void ToJson_NonAsciiText_IsValidJsonThatKeepsIt()
    {
        var line = CheckResult.Fail("routing", "route \"a\"", "path → 'ä' <b>", "fix \\ it");

        using var json = JsonDocument.Parse(new CheckReport([line]).ToJson());

        var check = json.RootElement.GetProperty("checks")[0];
        Assert.Equal("route \"a\"", check.GetProperty("name").GetString());
        Assert.Equal("path → 'ä' <b>", check.GetProperty("found").GetString());
        Assert.Equal("fix \\ it", check.GetProperty("fix").GetString());
    }
}
