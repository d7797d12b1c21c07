using System.Net;
using Kedge.Testing;
using Kedge.Winch.Pac;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Pac;

public sealed class PacFileTests
{
    // Go winch's e2e expectation (e2e/winch_test.go), byte for byte.
    private const string GoExpected = "function FindProxyForURL(url, host) {\n\tvar proxy = \"PROXY 127.0.0.1:18070; DIRECT\";\n\tvar direct = \"DIRECT\";\n\n\t// no proxy for local hosts without domain:\n\tif(isPlainHostName(host)) return direct;\n\n\t// We only proxy http, not even https.\n\tif (\n\t\turl.substring(0, 4) == \"ftp:\" ||\n\t\turl.substring(0, 6) == \"rsync:\" ||\n\t\turl.substring(0, 6) == \"https:\"\n\t)\n\t\treturn direct;\n\n\t// Commented for debug purposes.\n\t// Use direct connection whenever we have direct network connectivity.\n\t//if (isResolvable(host)) {\n\t//    return direct\n\t//}\n\tif (shExpMatch(host, \"*.*.internal.example.com\")) {\n\t\treturn proxy;\n\t}\n\n\treturn direct;\n}";

    // The one line winch adds to Go's template when host patterns are given: https:// to them goes to winch's CONNECT tunnel.
    private const string HttpsLine = "\t// https:// to these hosts goes through winch's CONNECT tunnel to their kedge.\n\tif (url.substring(0, 6) == \"https:\" && (shExpMatch(host, \"*.*.internal.example.com\"))) return proxy;\n\n";

    [Fact]
    public void Render_OneExpression_GoWinchBytesPlusTheHttpsLine()
        => Assert.Equal(GoExpected.Replace("\t// We only proxy http", HttpsLine + "\t// We only proxy http", StringComparison.Ordinal), PacFile.Render("127.0.0.1:18070", ["*.*.internal.example.com"]));

    [Fact]
    public void Render_NoExpressions_GoWinchBytesHttpsDirect()
        => Assert.Equal(
            GoExpected.Replace("\tif (shExpMatch(host, \"*.*.internal.example.com\")) {\n\t\treturn proxy;\n\t}\n\n\treturn direct;", "\treturn proxy;", StringComparison.Ordinal),
            PacFile.Render("127.0.0.1:18070", []));

    [Theory]
    [InlineData("https://orders.shop.internal.example.com/x", "orders.shop.internal.example.com", "PROXY 127.0.0.1:8070; DIRECT")]
    [InlineData("http://orders.shop.internal.example.com/x", "orders.shop.internal.example.com", "PROXY 127.0.0.1:8070; DIRECT")]
    [InlineData("https://www.example.com/", "www.example.com", "DIRECT")]
    [InlineData("http://www.example.com/", "www.example.com", "DIRECT")]
    [InlineData("https://intranet/", "intranet", "DIRECT")]
    public async Task Render_EvaluatedByNode_HttpsOnlyForListedHosts(string url, string host, string expected)
    {
        var pac = PacFile.Render("127.0.0.1:8070", ["*.*.internal.example.com"]);
        var script = pac + """

            function isPlainHostName(h) { return h.indexOf('.') < 0; }
            function shExpMatch(s, p) { return new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(s); }
            process.stdout.write(FindProxyForURL(process.argv[2], process.argv[3]));
            """;
        using var dir = new TempDirectory();
        var file = dir.Combine("pac.js");
        await File.WriteAllTextAsync(file, script);

        var (code, stdout, stderr) = await ProcessRun.RunAsync("node", [file, url, host], TimeSpan.FromSeconds(30));

        Assert.True(code == 0, stderr);
        Assert.Equal(expected, stdout);
    }

    [Fact]
    public void Render_NoExpressions_ProxiesEverything()
    {
        var pac = PacFile.Render("127.0.0.1:8070", []);

        Assert.EndsWith("\t//}\n\treturn proxy;\n}", pac, StringComparison.Ordinal);
        Assert.DoesNotContain("shExpMatch", pac, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TwoExpressions_OneBlockEach()
    {
        var pac = PacFile.Render("127.0.0.1:8070", ["*.a.internal", "*.b.internal"]);

        Assert.Contains("\t//}\n\tif (shExpMatch(host, \"*.a.internal\")) {\n\t\treturn proxy;\n\t}\n\tif (shExpMatch(host, \"*.b.internal\")) {\n\t\treturn proxy;\n\t}\n\n\treturn direct;\n}", pac, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WpadDat_Served_WithWinchAddressAndContentType()
    {
        using var logs = new TestLogSink();
        await using var env = await WinchTestEnvironment.StartAsync(logs, """{"routes": [{"direct": {"key": "a.internal", "url": "{KEDGE}"}}]}""", extraFlags: ["--pac_redirect_sh_expressions=*.*.internal.example.com"]);
        using var client = env.CreateDirectClient();

        using var response = await client.GetAsync("/wpad.dat");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ns-proxy-autoconfig", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(PacFile.Render("127.0.0.1:18070", ["*.*.internal.example.com"]).Replace("127.0.0.1:18070", $"127.0.0.1:{env.Winch.HttpPort}", StringComparison.Ordinal), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WpadDat_PacFileFlag_ServesTheFile()
    {
        using var logs = new TestLogSink();
        using var dir = new TempDirectory();
        var file = dir.Combine("proxy.pac");
        await File.WriteAllTextAsync(file, "function FindProxyForURL(url, host) { return \"DIRECT\"; }");
        await using var env = await WinchTestEnvironment.StartAsync(logs, """{"routes": [{"direct": {"key": "a.internal", "url": "{KEDGE}"}}]}""", extraFlags: ["--pac_file=" + file]);
        using var client = env.CreateDirectClient();

        Assert.Equal("function FindProxyForURL(url, host) { return \"DIRECT\"; }", await client.GetStringAsync("/wpad.dat"));
    }
}
