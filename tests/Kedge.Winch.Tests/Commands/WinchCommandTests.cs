using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Configuration;

namespace Kedge.Winch.Tests.Commands;

public sealed class WinchCommandTests
{
    private const string OneRoute = """{"routes": [{"direct": {"key": "a.internal", "url": "https://kedge.example.com"}}]}""";

    private static (WinchSettings? Settings, List<string> Errors) Read(params string[] args)
    {
        var errors = new List<string>();
        return (WinchCommand.ReadSettings(args, errors), errors);
    }

    [Fact]
    public void ReadSettings_GoCommandLine_AllFlagsRead()
    {
        var (settings, errors) = Read(
            "--server_http_port", "18070",
            "--server_grpc_port=18071",
            "--server_mapper_config=" + OneRoute,
            "--debug_mode",
            "--pac_redirect_sh_expressions=*.a.internal,*.b.internal",
            "--server_auth_timeout=1m30s",
            "--cors_allowed_origin=https://dev.example.com",
            "--winch_reverseproxy_flushing_interval=5ms");

        Assert.Empty(errors);
        Assert.Equal(18070, settings!.HttpPort);
        Assert.Equal(18071, settings.GrpcPort);
        Assert.True(settings.DebugMode);
        Assert.Equal(["*.a.internal", "*.b.internal"], settings.PacShExpressions);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.AuthTimeout);
        Assert.Equal(["https://dev.example.com"], settings.CorsAllowedOrigins);
        Assert.Single(settings.Config.Routes);
    }

    [Fact]
    public void ReadSettings_LogFormatAndOtlpEndpoint_Read()
    {
        var (settings, errors) = Read("--server_mapper_config=" + OneRoute, "--log_format=JSON", "--otlp_endpoint=http://127.0.0.1:4317");

        Assert.Empty(errors);
        Assert.Equal("json", settings!.LogFormat);
        Assert.Equal("http://127.0.0.1:4317", settings.OtlpEndpoint);
    }

    [Theory]
    [InlineData("--log_format=xml", "log_format")]
    [InlineData("--otlp_endpoint=collector:4317", "--otlp_endpoint: \"collector:4317\" is not an http:// or https:// URL")]
    public void ReadSettings_BadObservabilityFlag_NamesTheFlag(string flag, string expected)
    {
        var (settings, errors) = Read("--server_mapper_config=" + OneRoute, flag);

        Assert.Null(settings);
        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_UnknownFlagAndPositional_BothReportedWithSuggestion()
    {
        var (settings, errors) = Read("--server_htp_port=1", "extra");

        Assert.Null(settings);
        Assert.Equal(["unknown flag --server_htp_port. Did you mean --server_http_port?", "unexpected argument \"extra\": winch takes only flags"], errors);
    }

    [Fact]
    public void ReadSettings_NoRoutes_StartUpErrorSaysHowToAddOne()
    {
        var (settings, errors) = Read();

        Assert.Null(settings);
        var error = Assert.Single(errors);
        Assert.StartsWith("mapper config (--server_mapper_config): no winch mapper routes defined", error, StringComparison.Ordinal);
        Assert.Contains("Give --server_mapper_config or --server_mapper_config_path with at least one route", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_BadJsonInFile_NamesFileAndPosition()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("mapper.json");
        File.WriteAllText(file, "{\"routes\": [,]}");

        var (_, errors) = Read("--server_mapper_config_path=" + file);

        var error = Assert.Single(errors);
        Assert.StartsWith($"mapper config ({file}): invalid JSON at line 1, byte 13", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_UnknownFieldAndEnumValue_ReportedWithPathsAndFixes()
    {
        var (_, errors) = Read("--server_mapper_config=" + """{"routes": [{"direct": {"key": "a", "url": "https://k", "prefix": "x"}, "protocol": "TCP"}]}""");

        Assert.Equal(2, errors.Count);
        Assert.Equal("mapper config (--server_mapper_config): $.routes[0].protocol: unknown value \"TCP\" for enum winch.config.Protocol. Use one of ANY (0), HTTP (1), GRPC (2)", errors[0]);
        Assert.StartsWith("mapper config (--server_mapper_config): $.routes[0].direct.prefix: unknown field \"prefix\" in winch.config.DirectRoute. Accepted fields: key, url, fallback_urls", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_LowerCamelNamesAndEnumNumbers_ReadAsJsonpbDoes()
    {
        var (settings, errors) = Read(
            "--server_mapper_config=" + """{"routes": [{"regexp": {"exp": "^a", "url": "https://k"}, "protocol": 2, "backendAuth": "t", "proxy_auth": "t"}]}""",
            "--server_auth_config=" + """{"authSources": [{"name": "t", "token": {"token": "x"}}]}""");

        Assert.Empty(errors);
        var route = Assert.Single(settings!.Config.Routes);
        Assert.Equal(WinchProtocol.Grpc, route.Protocol);
        Assert.Equal("t", route.BackendAuth);
        Assert.Equal(AuthSourceKind.Token, settings.Config.AuthSources["t"].Kind);
    }

    [Fact]
    public void ReadSettings_RouteNamesMissingAuthSource_GoMessageWithKnownNames()
    {
        var (_, errors) = Read(
            "--server_mapper_config=" + """{"routes": [{"direct": {"key": "a", "url": "https://k"}, "proxy_auth": "prod"}]}""",
            "--server_auth_config=" + """{"auth_sources": [{"name": "dev", "token": {"token": "x"}}]}""");

        Assert.Equal(
            "mapper config (--server_mapper_config): $.routes[0].proxy_auth: Config validation failed. Not found auth source called \"prod\". Define it in the auth config (auth config (--server_auth_config); it defines \"dev\") or fix the name",
            Assert.Single(errors));
    }

    [Fact]
    public void ReadSettings_RouteWithoutRule_GoMessage()
    {
        var (_, errors) = Read("--server_mapper_config=" + """{"routes": [{"proxy_auth": ""}]}""");

        Assert.StartsWith("mapper config (--server_mapper_config): $.routes[0]: Config validation failed. No route rule (regexp|direct) configured", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_OidcCallbackPathsClash_Refused()
    {
        var (_, errors) = Read(
            "--server_mapper_config=" + OneRoute,
            "--server_auth_config=" + """
                {"auth_sources": [
                  {"name": "a", "oidc": {"provider": "https://login.example.com", "client_id": "x", "login_callback_path": "/login/callback"}},
                  {"name": "b", "oidc": {"provider": "https://login.example.com", "client_id": "y", "login_callback_path": "/login/callback"}},
                  {"name": "c", "oidc": {"provider": "https://login.example.com", "client_id": "z", "login_callback_path": "/healthz"}}
                ]}
                """);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("auth config: $.auth_sources[1].oidc.login_callback_path: \"/login/callback\" is already auth source \"a\"'s path on winch", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("auth config: $.auth_sources[2].oidc.login_callback_path: \"/healthz\" is already the health endpoint's path on winch", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_SamePortForBothProxies_Refused()
    {
        var (_, errors) = Read("--server_mapper_config=" + OneRoute, "--server_http_port=9000", "--server_grpc_port=9000");

        Assert.Equal("--server_http_port and --server_grpc_port are both 9000: the HTTP proxy and the gRPC proxy need their own ports", Assert.Single(errors));
    }

    [Fact]
    public void ReadSettings_PacExpressionsAndPacFile_Refused()
    {
        using var dir = new TempDirectory();
        var pac = dir.Combine("p.pac");
        File.WriteAllText(pac, "x");

        var (_, errors) = Read("--server_mapper_config=" + OneRoute, "--pac_redirect_sh_expressions=*.a", "--pac_file=" + pac);

        Assert.StartsWith("flag 'pac_redirect_sh_expressions' cannot be specified with 'pac_file'", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSettings_CertWithoutKeyAndMissingCaFile_BothReported()
    {
        var (_, errors) = Read("--server_mapper_config=" + OneRoute, "--client_tls_cert_file=/nonexistent/tls.crt", "--client_tls_root_ca_files=/nonexistent/ca.crt");

        Assert.Equal(
            [
                "--client_tls_cert_file needs --client_tls_key_file: give the PEM key of the client certificate",
                "--client_tls_cert_file: the file '/nonexistent/tls.crt' does not exist",
                "--client_tls_root_ca_files: the file '/nonexistent/ca.crt' does not exist",
            ],
            errors);
    }

    [Fact]
    public async Task InvokeAsync_BadInput_Exit2WithEveryProblemListed()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await WinchCommand.InvokeAsync(["--server_http_port=abc", "--server_mapper_config={}"], output, error);

        Assert.Equal(WinchCommand.ExitBadInput, code);
        Assert.Equal(
            "winch: cannot start:\n  - invalid value \"abc\" for flag --server_http_port: not an integer. Write a whole number such as 8080\nRun 'winch --help' for the flags.\n",
            error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task InvokeAsync_Help_ListsGoFlagsTunnelsAndForwardVerb()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await WinchCommand.InvokeAsync(["--help"], output, error);

        Assert.Equal(0, code);
        var help = output.ToString();
        Assert.Contains("--server_mapper_config_path", help, StringComparison.Ordinal);
        Assert.Contains("--client_tls_root_ca_files", help, StringComparison.Ordinal);
        Assert.Contains("HTTPS_PROXY=http://127.0.0.1:8070 works for mapped hosts", help, StringComparison.Ordinal);
        Assert.Contains("winch forward --listen 127.0.0.1:5432", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ForwardHelp_DescribesListen()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await WinchCommand.InvokeAsync(["forward", "--help"], output, error);

        Assert.Equal(0, code);
        Assert.Contains("--listen", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("loopback", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_Help_BoolFlagsShowTheEqualsFormAndNoSeparateValue()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await WinchCommand.InvokeAsync(["--help"], output, error);

        Assert.Equal(0, code);
        var help = output.ToString().ReplaceLineEndings("\n");
        Assert.Contains("Bool flags: --name alone means true; a value goes after '=': --name=false", help, StringComparison.Ordinal);
        Assert.Contains("Go reads --name false as --name (true) plus a stray argument, so it is refused", help, StringComparison.Ordinal);
        Assert.Matches(@"\n  --debug_mode +Log at debug level", help);
        Assert.Matches(@"\n  --client_insecure +Do not verify", help);
        Assert.DoesNotContain("true|false", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ValidConfig_StartsServesAndStopsOnCancel()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = WinchCommand.InvokeAsync(
            ["--server_http_port=0", "--server_grpc_port=0", "--server_mapper_config=" + OneRoute, "--log_level=error"],
            output,
            error,
            server => started.SetResult(server.HttpPort),
            cancel.Token);
        var port = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var health = await client.GetStringAsync($"http://127.0.0.1:{port}/healthz");
        await cancel.CancelAsync();

        Assert.Equal("winch isok", health);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Starts winch through its entry point, captures the settings it started with, and stops it.</summary>
    private static async Task<(int Code, WinchSettings? Settings, string Error)> StartAndStopAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var cancel = new CancellationTokenSource();
        WinchSettings? started = null;

        var run = WinchCommand.InvokeAsync(
            ["--server_http_port=0", "--server_grpc_port=0", "--server_mapper_config=" + OneRoute, "--log_level=error", .. args],
            output,
            error,
            server =>
            {
                started = server.Settings;
                cancel.Cancel();
            },
            cancel.Token);
        var code = await run.WaitAsync(TimeSpan.FromSeconds(30));
        return (code, started, error.ToString());
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.All), MemberType = typeof(GoBoolSpellings))]
    public async Task InvokeAsync_BoolFlagWithEqualsValue_StartsWithThatValue(string value, bool expected)
    {
        var (code, settings, error) = await StartAndStopAsync($"--debug_mode={value}", $"--client_insecure={value}");

        Assert.True(settings is not null, error);
        Assert.Equal(0, code);
        Assert.Equal(expected, settings.DebugMode);
        Assert.Equal(expected, settings.ClientInsecure);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public async Task InvokeAsync_GoEndToEndDebugModeTrue_StartsInDebugModeAndWarnsWithEqualsForm()
    {
        var (code, settings, error) = await StartAndStopAsync("--debug_mode", "true");

        Assert.True(settings is not null, error);
        Assert.Equal(0, code);
        Assert.True(settings.DebugMode);
        Assert.Equal(
            "winch: warning: flag --debug_mode is followed by \"true\" as a separate argument: read as Go reads it (--debug_mode is set to true and \"true\" is ignored). Write --debug_mode=true\n",
            error.ReplaceLineEndings("\n"));
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.False), MemberType = typeof(GoBoolSpellings))]
    public async Task InvokeAsync_BoolFlagThenSeparateFalse_RefusedBecauseGoWouldSetTrue(string value)
    {
        var (code, settings, error) = await StartAndStopAsync("--debug_mode", value);

        Assert.Null(settings);
        Assert.Equal(WinchCommand.ExitBadInput, code);
        Assert.Contains(
            $"flag --debug_mode is followed by \"{value}\" as a separate argument: a bool flag does not take the next argument, so Go would silently set --debug_mode to TRUE and leave \"{value}\" as a stray argument. Write --debug_mode={value}",
            error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_StrayArgument_StillRefused()
    {
        var (code, settings, error) = await StartAndStopAsync("--debug_mode=true", "extra");

        Assert.Null(settings);
        Assert.Equal(WinchCommand.ExitBadInput, code);
        Assert.Contains("unexpected argument \"extra\": winch takes only flags", error, StringComparison.Ordinal);
    }
}
