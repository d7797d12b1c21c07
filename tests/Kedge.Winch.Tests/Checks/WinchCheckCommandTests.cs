using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Kedge.Testing;
using Kedge.Winch.Checks;
using Kedge.Winch.Commands;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kedge.Winch.Tests.Checks;

/// <summary><c>winch check</c> against a real kedge stand-in (loopback Kestrel, mTLS, kedge's error answers) and real broken setups.</summary>
public sealed class WinchCheckCommandTests
{
    private const string OrdersRoute = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "{KEDGE}"}}]}""";

    [Fact]
    public async Task Check_HealthyKedgeAndRoute_Exit0EveryLinePasses()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);

        var (code, table) = await RunAsync(["check", .. kedge.Flags(OrdersRoute)]);

        Assert.True(code == 0, table);
        Assert.DoesNotContain("✘", table, StringComparison.Ordinal);
        Assert.DoesNotContain("⚠", table, StringComparison.Ordinal);
        Assert.Contains($"kedge {kedge.Url}\n", table, StringComparison.Ordinal);
        Assert.Matches(@"✔ tcp connect +connected to 127\.0\.0\.1:\d+", table);
        Assert.Contains("verified for 'localhost' against --client_tls_root_ca_files", table, StringComparison.Ordinal);
        Assert.Matches(@"✔ client certificate accepted +kedge took CN=winch-developer", table);
        Assert.Contains("route orders.cluster-b.internal\n", table, StringComparison.Ordinal);
        Assert.Contains($"kedge {kedge.Url} routed it; the backend answered 200 OK", table, StringComparison.Ordinal);
        Assert.EndsWith(" passed, 0 warnings, 0 failed\n", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KedgeHostDoesNotResolve_DnsFailsNamingTheRoute()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        // The name is asked of a loopback DNS server that knows nothing (NXDOMAIN), never of the system resolver.
        await using var dnsServer = new TestDnsServer();
        var mapper = """{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "https://kedge.cluster-b.invalid"}}]}""";

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(mapper), "--output=json"], TestDnsResolver.For(dnsServer));

        Assert.Equal(1, code);
        Assert.True(dnsServer.QueryCount > 0, "the check did not ask the test's DNS server");
        var dns = CheckLines.JsonLine(json, "kedge https://kedge.cluster-b.invalid", "dns");
        Assert.Equal("fail", dns.GetProperty("status").GetString());
        Assert.Contains("kedge.cluster-b.invalid does not resolve", dns.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("mapper config (--server_mapper_config) routes[0]", dns.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("getent hosts kedge.cluster-b.invalid", dns.GetProperty("fix").GetString(), StringComparison.Ordinal);
        // Nothing after DNS is tried for that kedge.
        Assert.DoesNotContain(CheckLines.JsonLines(json), l => l.GetProperty("area").GetString() == "kedge https://kedge.cluster-b.invalid" && l.GetProperty("name").GetString() == "tcp connect");
    }

    [Fact]
    public async Task Check_ClosedKedgePort_TcpConnectFails()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var port = ClosedPort();
        var mapper = $$$"""{"routes": [{"direct": {"key": "orders.cluster-b.internal", "url": "https://localhost:{{{port}}}"}}]}""";

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(mapper), "--output=json"]);

        Assert.Equal(1, code);
        var tcp = CheckLines.JsonLine(json, $"kedge https://localhost:{port}", "tcp connect");
        Assert.Equal("fail", tcp.GetProperty("status").GetString());
        Assert.Contains($"nothing accepts connections at localhost:{port}", tcp.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("start kedge, or correct the port", tcp.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal("fail", CheckLines.JsonLine(json, "route orders.cluster-b.internal", "GET http://orders.cluster-b.internal/").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Check_Http11KedgeDropsTheRetriedRequest_RouteFailsNamingKedge()
    {
        using var logs = new TestLogSink();
        // No HTTP/2, so the route's request is retried over HTTP/1.1; that retry's connection is then cut.
        await using var kedge = await KedgeStandIn.StartAsync(logs, new KedgeStandInOptions
        {
            Protocols = HttpProtocols.Http1,
            Configure = app => app.Use((context, next) =>
            {
                if (context.Request.Host.Host == KedgeStandIn.RoutedHost)
                {
                    context.Abort();
                    return Task.CompletedTask;
                }

                return next(context);
            }),
        });

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(OrdersRoute), "--output=json"]);

        Assert.Equal(1, code);
        var route = CheckLines.JsonLine(json, "route orders.cluster-b.internal", "GET http://orders.cluster-b.internal/");
        Assert.Equal("fail", route.GetProperty("status").GetString());
        Assert.Contains($"winch could not send orders.cluster-b.internal through kedge {kedge.Url}", route.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Equal($"see the 'kedge {kedge.Url}' lines", route.GetProperty("fix").GetString());
    }

    [Fact]
    public async Task Check_KedgeAsksForNoClientCertificate_DoesNotClaimKedgeTookIt()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs, new KedgeStandInOptions { ClientCertificateMode = ClientCertificateMode.NoCertificate });

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(OrdersRoute), "--output=json"]);

        Assert.Equal(0, code);
        var accepted = CheckLines.JsonLine(json, "kedge " + kedge.Url, "client certificate accepted");
        var found = accepted.GetProperty("found").GetString();
        Assert.DoesNotContain("kedge took", found, StringComparison.Ordinal);
        Assert.Contains("kedge did not ask for a client certificate, so winch did not send CN=winch-developer", found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KedgeTrustsAnotherCa_ClientCertificateRefused()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs, new KedgeStandInOptions { TrustsAnotherCa = true });

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(OrdersRoute), "--output=json"]);

        Assert.Equal(1, code);
        var area = "kedge " + kedge.Url;
        Assert.Equal("pass", CheckLines.JsonLine(json, area, "tls handshake").GetProperty("status").GetString());
        var accepted = CheckLines.JsonLine(json, area, "client certificate accepted");
        Assert.Equal("fail", accepted.GetProperty("status").GetString());
        Assert.Contains("kedge refused the client certificate CN=winch-developer (issued by CN=Kedge Test CA", accepted.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("kedge does not trust the CA that issued " + kedge.CertificateFile, accepted.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KedgeCertificateFromAnUntrustedCa_TlsHandshakeFailsNamingTheCaFiles()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        using var otherCa = TestCertificateAuthority.Create("Other CA");
        var otherCaFile = otherCa.WriteCaPem(kedge.Dir.Path, "other-ca.crt");

        var (code, json) = await RunJsonAsync(["check", .. kedge.FlagsWithoutCa(OrdersRoute), "--client_tls_root_ca_files=" + otherCaFile, "--output=json"]);

        Assert.Equal(1, code);
        var tls = CheckLines.JsonLine(json, "kedge " + kedge.Url, "tls handshake");
        Assert.Equal("fail", tls.GetProperty("status").GetString());
        Assert.Contains($"kedge's certificate CN=kedge.cluster-b.test (issued by CN=Kedge Test CA) does not chain to --client_tls_root_ca_files ({otherCaFile})", tls.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("give the CA that issued kedge's certificate in --client_tls_root_ca_files", tls.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FiftyKedgesThatNeverAnswerTheHandshake_EachTimesOutAndAllFinishWithin5Seconds()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        // Real listeners that accept the TCP connection and never say a word: the TLS handshake waits forever.
        var silent = Enumerable.Range(0, 50).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            var accepted = new List<Socket>();
            foreach (var listener in silent)
            {
                listener.Start();
                _ = AcceptForeverAsync(listener, accepted);
            }

            var routes = string.Join(",", silent.Select((l, i) => $$$"""{"direct": {"key": "s{{{i}}}.cluster-b.internal", "url": "https://localhost:{{{((IPEndPoint)l.LocalEndpoint).Port}}}"}}"""));
            var started = System.Diagnostics.Stopwatch.StartNew();

            var (code, json) = await RunJsonAsync(["check", .. kedge.Flags($$"""{"routes": [{{routes}}]}"""), "--output=json", "--timeout=1s"]);

            started.Stop();
            Assert.Equal(1, code);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
            foreach (var listener in silent)
            {
                var tls = CheckLines.JsonLine(json, "kedge https://localhost:" + ((IPEndPoint)listener.LocalEndpoint).Port, "tls handshake");
                Assert.Equal("fail", tls.GetProperty("status").GetString());
                Assert.StartsWith("no answer within 1 s", tls.GetProperty("found").GetString(), StringComparison.Ordinal);
            }

            Assert.Equal(50, CheckLines.JsonLines(json).Count(l => l.GetProperty("area").GetString()!.StartsWith("route s", StringComparison.Ordinal) && l.GetProperty("status").GetString() == "fail"));
            lock (accepted)
            {
                foreach (var socket in accepted)
                {
                    socket.Dispose();
                }
            }
        }
        finally
        {
            foreach (var listener in silent)
            {
                listener.Stop();
            }
        }
    }

    [Fact]
    public async Task Check_ClientCertificateExpiresIn5Days_WarnsAndExits2()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs, new KedgeStandInOptions { ClientLifetime = TimeSpan.FromDays(5) });

        var (code, table) = await RunAsync(["check", .. kedge.Flags(OrdersRoute)]);

        Assert.True(code == 2, table);
        Assert.Matches(@"⚠ expiry +CN=winch-developer from .*tls\.crt expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC, in 4 days", table);
        Assert.Contains("fix: renew the client certificate", table, StringComparison.Ordinal);
        Assert.DoesNotContain("✘", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_RouteAnsweredWithKedgeError_FailsWithItsMeaningAndFix()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var mapper = $$$"""{"routes": [{"direct": {"key": "{{{KedgeStandIn.NoRouteHost}}}", "url": "{KEDGE}"}}, {"direct": {"key": "{{{KedgeStandIn.MissingHost}}}", "url": "{KEDGE}"}}]}""";

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(mapper), "--output=json"]);

        Assert.Equal(1, code);
        var noRoute = CheckLines.JsonLine(json, "route " + KedgeStandIn.NoRouteHost, $"GET http://{KedgeStandIn.NoRouteHost}/");
        Assert.Equal("fail", noRoute.GetProperty("status").GetString());
        Assert.Equal(
            $"kedge {kedge.Url} answered 502 Bad Gateway no-route: \"unknown route to service\" (request id req-42). It means: No route or adhoc rule claims the target.",
            noRoute.GetProperty("found").GetString());
        Assert.StartsWith($"{kedge.Url} has no route for {KedgeStandIn.NoRouteHost}", noRoute.GetProperty("fix").GetString(), StringComparison.Ordinal);
        // A backend's own 404 is not kedge's error: kedge routed it.
        var missing = CheckLines.JsonLine(json, "route " + KedgeStandIn.MissingHost, $"GET http://{KedgeStandIn.MissingHost}/");
        Assert.Equal("pass", missing.GetProperty("status").GetString());
        Assert.Equal($"kedge {kedge.Url} routed it; the backend answered 404 Not Found", missing.GetProperty("found").GetString());
    }

    [Fact]
    public async Task Check_PatternRoute_WarnsWithoutProbeAndRequestsTheProbe()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var mapper = """{"routes": [{"regexp": {"exp": "([a-z]+)\\.cluster-b\\.internal", "url": "{KEDGE}"}}]}""";
        const string area = @"route ([a-z]+)\.cluster-b\.internal";

        var (withoutCode, without) = await RunJsonAsync(["check", .. kedge.Flags(mapper), "--output=json"]);
        var (withCode, with) = await RunJsonAsync(["check", .. kedge.Flags(mapper), "--output", "json", "--probe=orders.cluster-b.internal", "--probe", "unrouted.example.internal"]);

        Assert.Equal(2, withoutCode);
        Assert.Contains("--probe=host[:port]", CheckLines.JsonLine(without, area, "request").GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, withCode);
        Assert.Equal("pass", CheckLines.JsonLine(with, area, "GET http://orders.cluster-b.internal/").GetProperty("status").GetString());
        Assert.Equal("warn", CheckLines.JsonLine(with, "probes", "unrouted.example.internal").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Check_AuthSources_ExpiredTokenFailsAndOidcWithoutLoginWarnsWithoutStartingOne()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var expired = Jwt(DateTimeOffset.UtcNow.AddHours(-1));
        var valid = Jwt(DateTimeOffset.UtcNow.AddHours(2));
        var mapper = """
            {"routes": [
              {"direct": {"key": "a.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "old"},
              {"direct": {"key": "b.cluster-b.internal", "url": "{KEDGE}"}, "proxy_auth": "fresh"},
              {"direct": {"key": "c.cluster-b.internal", "url": "{KEDGE}"}, "backend_auth": "corp"}]}
            """;
        var auth = $$$"""
            {"auth_sources": [
              {"name": "old", "token": {"token": "{{{expired}}}"}},
              {"name": "fresh", "token": {"token": "{{{valid}}}"}},
              {"name": "corp", "oidc": {"provider": "https://issuer.invalid", "client_id": "winch", "path": "{{{JsonEncodedText.Encode(kedge.Dir.Combine("cache"))}}}", "login_callback_path": "/login/callback"}}]}
            """;

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(mapper, "--server_auth_config=" + auth, "--server_http_port=18070"), "--output=json"]);

        Assert.Equal(1, code);
        var old = CheckLines.JsonLine(json, "auth old", "token");
        Assert.Equal("fail", old.GetProperty("status").GetString());
        Assert.StartsWith("token source 'old' gave a token that expired on ", old.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("auth config (--server_auth_config) auth_sources[0]", old.GetProperty("fix").GetString(), StringComparison.Ordinal);
        var fresh = CheckLines.JsonLine(json, "auth fresh", "token");
        Assert.Equal("pass", fresh.GetProperty("status").GetString());
        Assert.StartsWith("token source 'fresh' gave a token valid until ", fresh.GetProperty("found").GetString(), StringComparison.Ordinal);
        var corp = CheckLines.JsonLine(json, "auth corp", "token");
        Assert.Equal("warn", corp.GetProperty("status").GetString());
        Assert.StartsWith("not logged in", corp.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("open http://127.0.0.1:18070/winch/login/corp in a browser", corp.GetProperty("fix").GetString(), StringComparison.Ordinal);
        // Never a token in the report.
        Assert.DoesNotContain(expired, json.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(valid, json.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KubeconfigExecPlugin_RunsThePluginAndShowsItsExpiryOrItsError()
    {
        using var logs = new TestLogSink();
        await using var kedge = await KedgeStandIn.StartAsync(logs);
        var expiry = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var good = WritePlugin(kedge.Dir, "good.sh", $$$"""
            #!/bin/sh
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-secret-token","expirationTimestamp":"{{{expiry}}}"}}'
            """);
        var bad = WritePlugin(kedge.Dir, "bad.sh", "#!/bin/sh\necho 'please run: corp-login' >&2\nexit 3\n");
        var kubeconfig = kedge.Dir.Combine("kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"apiVersion: v1\nkind: Config\nusers:\n- name: good\n  user:\n    exec:\n      command: {good}\n- name: bad\n  user:\n    exec:\n      command: {bad}\n");
        var path = JsonEncodedText.Encode(kubeconfig).ToString();
        var auth = $$$"""{"auth_sources": [{"name": "good", "kube": {"user": "good", "path": "{{{path}}}"}}, {"name": "bad", "kube": {"user": "bad", "path": "{{{path}}}"}}]}""";
        var mapper = """{"routes": [{"direct": {"key": "a.cluster-b.internal", "url": "{KEDGE}"}, "proxy_auth": "good"}, {"direct": {"key": "b.cluster-b.internal", "url": "{KEDGE}"}, "proxy_auth": "bad"}]}""";

        var (code, json) = await RunJsonAsync(["check", .. kedge.Flags(mapper, "--server_auth_config=" + auth), "--output=json"]);

        Assert.Equal(1, code);
        var ok = CheckLines.JsonLine(json, "auth good", "token");
        Assert.Equal("pass", ok.GetProperty("status").GetString());
        Assert.StartsWith("kube source 'good' gave a token valid until ", ok.GetProperty("found").GetString(), StringComparison.Ordinal);
        var failed = CheckLines.JsonLine(json, "auth bad", "token");
        Assert.Equal("fail", failed.GetProperty("status").GetString());
        Assert.Contains($"the exec plugin {bad} of user bad exited with code 3: please run: corp-login", failed.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.Contains("check user 'bad' in the kubeconfig", failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        // The route that needs the failing source says where to look.
        Assert.Equal("see the 'auth bad' lines", CheckLines.JsonLine(json, "route b.cluster-b.internal", "GET http://b.cluster-b.internal/").GetProperty("fix").GetString());
        Assert.Equal("pass", CheckLines.JsonLine(json, "route a.cluster-b.internal", "GET http://a.cluster-b.internal/").GetProperty("status").GetString());
        Assert.DoesNotContain("exec-secret-token", json.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_InvalidConfig_FailLineAndExit1()
    {
        var (code, json) = await RunJsonAsync(["check", "--server_mapper_config={}", "--output=json"]);

        Assert.Equal(1, code);
        var line = Assert.Single(CheckLines.JsonLines(json));
        Assert.Equal("configuration", line.GetProperty("area").GetString());
        Assert.Contains("no winch mapper routes defined", line.GetProperty("found").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Help_ListsTheVerbAndItsFlags()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await WinchCommand.InvokeAsync(["--help"], output, error));
        Assert.Contains("winch check", output.ToString(), StringComparison.Ordinal);

        using var checkOutput = new StringWriter();
        Assert.Equal(0, await WinchCommand.InvokeAsync(["check", "--help"], checkOutput, error));
        Assert.Contains("--probe", checkOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("Exit 0: all ✔; 1: any ✘; 2: only ⚠.", checkOutput.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await WinchCommand.InvokeAsync(args, output, error);
        Assert.True(error.ToString().Length == 0, error.ToString());
        return (code, output.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>The check verb with the given host resolver (args start with "check", as typed).</summary>
    private static async Task<(int Code, string Output)> RunCheckAsync(string[] args, Func<string, CancellationToken, Task<IPAddress[]>> resolveHostAsync)
    {
        using var output = new StringWriter();
        var code = await WinchCheckCommand.RunAsync(args[1..], output, TimeProvider.System, resolveHostAsync: resolveHostAsync);
        return (code, output.ToString().ReplaceLineEndings("\n"));
    }

    private static async Task<(int Code, JsonDocument Json)> RunJsonAsync(string[] args, Func<string, CancellationToken, Task<IPAddress[]>>? resolveHostAsync = null)
    {
        var (code, output) = resolveHostAsync is null ? await RunAsync(args) : await RunCheckAsync(args, resolveHostAsync);
        var json = JsonDocument.Parse(output);
        Assert.Equal(code, json.RootElement.GetProperty("exit_code").GetInt32());
        return (code, json);
    }

    private static string Jwt(DateTimeOffset expiry)
    {
        static string Part(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("""{"alg":"RS256","typ":"JWT"}""") + "." + Part($$"""{"sub":"dev","exp":{{expiry.ToUnixTimeSeconds()}}}""") + ".c2lnbmF0dXJl";
    }

    private static async Task AcceptForeverAsync(TcpListener listener, List<Socket> accepted)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync();
                lock (accepted)
                {
                    accepted.Add(socket);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped.
        }
    }

    private static string WritePlugin(TempDirectory dir, string name, string content)
    {
        var path = dir.Combine(name);
        File.WriteAllText(path, content.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>A port nothing listens on (127.0.0.1 and [::1], as localhost may be either), held to the end of the run.</summary>
    private static int ClosedPort() => ClosedLoopbackPort.HeldUntilExit();
}
