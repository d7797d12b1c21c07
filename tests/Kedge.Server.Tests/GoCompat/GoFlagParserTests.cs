using Kedge.GoCompat;
using Kedge.Server.Hosting.GoFlags;
using Kedge.Testing;

namespace Kedge.Server.Tests.GoCompat;

public sealed class GoFlagParserTests
{
    private static readonly IReadOnlyList<GoFlag> TestFlags =
    [
        GoFlag.String("name", "default-name", "A string."),
        GoFlag.String("level", "info", "A level.", ["debug", "info", "warning"]),
        GoFlag.Int("count", 3, "An int."),
        GoFlag.Port("port", 8080, "A port."),
        GoFlag.Bool("enabled", false, "A bool defaulting to false."),
        GoFlag.Bool("required", true, "A bool defaulting to true."),
        GoFlag.Duration("timeout", TimeSpan.FromSeconds(10), "A duration."),
        GoFlag.StringSlice("files", ["a.pem"], "A slice with a default."),
        GoFlag.StringSlice("tags", null, "A slice without a default."),
    ];

    // ---- defaults and the kedge flag set ----

    [Fact]
    public void Parse_NoArguments_KedgeDefaults()
    {
        var result = GoFlagParser.Parse(KedgeFlags.All, [], "kedge");

        Assert.True(result.Succeeded);
        Assert.False(result.HelpRequested);
        Assert.Equal("0.0.0.0", result.GetString(KedgeFlags.ServerBindAddress));
        Assert.Equal(8443, result.GetInt(KedgeFlags.ServerHttpTlsPort));
        Assert.Equal(8444, result.GetInt(KedgeFlags.ServerGrpcTlsPort));
        Assert.Equal(8080, result.GetInt(KedgeFlags.ServerHttpPort));
        Assert.Equal("/metrics", result.GetString(KedgeFlags.ServerMetricsPath));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.ServerTlsCertFile));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.ServerTlsKeyFile));
        Assert.Empty(result.GetStringList(KedgeFlags.ServerTlsClientCaFiles));
        Assert.True(result.GetBool(KedgeFlags.ServerTlsClientCertRequired));
        Assert.Equal(TimeSpan.FromSeconds(10), result.GetDuration(KedgeFlags.ServerHttpMaxReadTimeout));
        Assert.Equal(TimeSpan.FromSeconds(10), result.GetDuration(KedgeFlags.ServerHttpMaxWriteTimeout));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.DirectorConfig));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.DirectorConfigPath));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.BackendPoolConfig));
        Assert.Equal(string.Empty, result.GetString(KedgeFlags.BackendPoolConfigPath));
        Assert.Equal(TimeSpan.FromSeconds(2), result.GetDuration(KedgeFlags.LbTransportFailedTargetBackoffDuration));
        Assert.Equal("info", result.GetString(KedgeFlags.LogLevel));
        Assert.All(KedgeFlags.All, flag => Assert.False(result.IsSet(flag.Name)));
    }

    [Fact]
    public void KedgeFlags_All_UniqueNamesInEveryGroup()
    {
        var names = KedgeFlags.All.Select(flag => flag.Name).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(
            KedgeFlags.Server.Count + KedgeFlags.Tls.Count + KedgeFlags.Config.Count + KedgeFlags.LbTransport.Count + KedgeFlags.Auth.Count + KubernetesFlags.All.Count,
            names.Count);
        Assert.All(KedgeFlags.All, flag => Assert.False(string.IsNullOrWhiteSpace(flag.Help)));
    }

    [Fact]
    public void Parse_TypicalGoKedgeCommandLine_AllValuesRead()
    {
        string[] args =
        [
            "--server_bind_address=127.0.0.1",
            "--server_http_tls_port", "18443",
            "--server_grpc_tls_port=0",
            "--server_tls_cert_file=/etc/kedge/tls.crt",
            "--server_tls_key_file", "/etc/kedge/tls.key",
            "--server_tls_client_ca_files=/etc/kedge/ca1.pem,/etc/kedge/ca2.pem",
            "--server_tls_client_cert_required=false",
            "--server_http_max_write_timeout=1m30s",
            "--kedge_config_director_config_path=director.json",
            "--kedge_config_backendpool_config", """{"grpc":{},"http":{"backends":[]}}""",
            "--lbtransport_failed_target_backoff_duration=0",
            "--log_level=debug",
        ];

        var result = GoFlagParser.Parse(KedgeFlags.All, args, "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal("127.0.0.1", result.GetString(KedgeFlags.ServerBindAddress));
        Assert.Equal(18443, result.GetInt(KedgeFlags.ServerHttpTlsPort));
        Assert.Equal(0, result.GetInt(KedgeFlags.ServerGrpcTlsPort));
        Assert.Equal("/etc/kedge/tls.crt", result.GetString(KedgeFlags.ServerTlsCertFile));
        Assert.Equal("/etc/kedge/tls.key", result.GetString(KedgeFlags.ServerTlsKeyFile));
        Assert.Equal(["/etc/kedge/ca1.pem", "/etc/kedge/ca2.pem"], result.GetStringList(KedgeFlags.ServerTlsClientCaFiles));
        Assert.False(result.GetBool(KedgeFlags.ServerTlsClientCertRequired));
        Assert.Equal(TimeSpan.FromSeconds(90), result.GetDuration(KedgeFlags.ServerHttpMaxWriteTimeout));
        Assert.Equal("director.json", result.GetString(KedgeFlags.DirectorConfigPath));
        Assert.Equal("""{"grpc":{},"http":{"backends":[]}}""", result.GetString(KedgeFlags.BackendPoolConfig));
        Assert.Equal(TimeSpan.Zero, result.GetDuration(KedgeFlags.LbTransportFailedTargetBackoffDuration));
        Assert.Equal("debug", result.GetString(KedgeFlags.LogLevel));
        Assert.True(result.IsSet(KedgeFlags.ServerGrpcTlsPort));
        Assert.False(result.IsSet(KedgeFlags.ServerHttpPort));
    }

    // ---- flag forms ----

    [Theory]
    [InlineData("--name=value")]
    [InlineData("--name", "value")]
    public void Parse_EqualsOrSpaceForm_SetsValue(params string[] args)
    {
        var result = GoFlagParser.Parse(TestFlags, args, "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal("value", result.GetString("name"));
        Assert.True(result.IsSet("name"));
    }

    [Fact]
    public void Parse_ValueContainingEquals_KeepsEverythingAfterTheFirst()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--name=a=b=c"], "kedge");

        Assert.Equal("a=b=c", result.GetString("name"));
    }

    [Fact]
    public void Parse_EmptyValue_SetsEmptyString()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--name="], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(string.Empty, result.GetString("name"));
        Assert.True(result.IsSet("name"));
    }

    [Fact]
    public void Parse_SpaceFormValueStartingWithDash_TakenAsValue()
    {
        // pflag takes the next argument whatever it looks like, unless (here) it is a known flag.
        var result = GoFlagParser.Parse(TestFlags, ["--name", "-dashed", "--count", "-5"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal("-dashed", result.GetString("name"));
        Assert.Equal(-5, result.GetInt("count"));
    }

    [Fact]
    public void Parse_RepeatedScalarFlag_LastValueWins()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--name=first", "--name", "second", "--count=1", "--count=2"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal("second", result.GetString("name"));
        Assert.Equal(2, result.GetInt("count"));
    }

    [Theory]
    [InlineData("-name=value", "flag -name=value has a single dash; kedge flags take two: write --name=value")]
    [InlineData("-enabled", "flag -enabled has a single dash; kedge flags take two: write --enabled")]
    [InlineData("-nmae=x", "flag -nmae=x has a single dash; kedge flags take two: write --nmae=x (note that --nmae is not a known flag either; did you mean --name?)")]
    [InlineData("-zzzzzzzz", "flag -zzzzzzzz has a single dash; kedge flags take two: write --zzzzzzzz (note that --zzzzzzzz is not a known flag either)")]
    public void Parse_SingleDashFlag_ErrorSaysToUseTwoDashes(string arg, string expected)
    {
        var result = GoFlagParser.Parse(TestFlags, [arg], "kedge");

        Assert.Equal(expected, Assert.Single(result.Errors));
        Assert.False(result.IsSet("name"));
    }

    [Fact]
    public void Parse_SingleDashFlagWithSpaceValue_ValueNotReportedAgain()
    {
        var result = GoFlagParser.Parse(TestFlags, ["-name", "value", "--count=1"], "kedge");

        Assert.StartsWith("flag -name has a single dash", Assert.Single(result.Errors), StringComparison.Ordinal);
        Assert.Equal(1, result.GetInt("count"));
    }

    [Theory]
    [InlineData("---name=x")]
    [InlineData("--=x")]
    public void Parse_BadFlagSyntax_Reported(string arg)
    {
        var result = GoFlagParser.Parse(TestFlags, [arg], "kedge");

        Assert.Equal($"bad flag syntax: {arg}. Write --name=value or --name value", Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-help")]
    public void Parse_Help_HelpRequestedWithoutError(string arg)
    {
        var result = GoFlagParser.Parse(TestFlags, [arg], "kedge");

        Assert.True(result.HelpRequested);
        Assert.Empty(result.Errors);
    }

    // ---- bool flags ----

    [Fact]
    public void Parse_BareBoolFlag_SetsTrue()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--enabled"], "kedge");

        Assert.Empty(result.Errors);
        Assert.True(result.GetBool("enabled"));
        Assert.True(result.IsSet("enabled"));
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.All), MemberType = typeof(GoBoolSpellings))]
    public void Parse_BoolWithEqualsValue_ParsedLikeGo(string value, bool expected)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--required={value}", $"--enabled={value}"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetBool("required"));
        Assert.Equal(expected, result.GetBool("enabled"));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("on")]
    [InlineData("")]
    [InlineData("tRUE")]
    public void Parse_BoolInvalidValue_ReportsFlagAndValue(string value)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--required={value}"], "kedge");

        Assert.Equal($"invalid value \"{value}\" for flag --required: use true or false (or write --required alone for true)", Assert.Single(result.Errors));
        Assert.True(result.GetBool("required"));
        Assert.False(result.IsSet("required"));
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.True), MemberType = typeof(GoBoolSpellings))]
    public void Parse_BareBoolFollowedByTrueSpelling_SetsFlagAndWarnsWithEqualsForm(string value)
    {
        // pflag: "--flag true" sets the flag and leaves "true" as a positional argument, which Go kedge and winch
        // ignore; Go kedge's own e2e spin-up writes it that way.
        var result = GoFlagParser.Parse(TestFlags, ["--enabled", value, "--name=x"], "kedge");

        Assert.Empty(result.Errors);
        Assert.True(result.GetBool("enabled"));
        Assert.True(result.IsSet("enabled"));
        Assert.Equal("x", result.GetString("name"));
        Assert.Equal(
            $"flag --enabled is followed by \"{value}\" as a separate argument: read as Go reads it (--enabled is set to true and \"{value}\" is ignored). Write --enabled={value}",
            Assert.Single(result.Warnings));
    }

    [Theory]
    [MemberData(nameof(GoBoolSpellings.False), MemberType = typeof(GoBoolSpellings))]
    public void Parse_BareBoolFollowedByFalseSpelling_RefusedBecauseGoWouldSetTrue(string value)
    {
        var result = GoFlagParser.Parse(TestFlags, ["--required", value], "kedge");

        Assert.Equal(
            $"flag --required is followed by \"{value}\" as a separate argument: a bool flag does not take the next argument, so Go would silently set --required to TRUE and leave \"{value}\" as a stray argument. Write --required={value}",
            Assert.Single(result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("on")]
    [InlineData("tRUE")]
    public void Parse_BareBoolFollowedByOtherWord_StillAnUnexpectedArgument(string value)
    {
        var result = GoFlagParser.Parse(TestFlags, ["--enabled", value], "kedge");

        Assert.Equal($"unexpected argument \"{value}\": kedge takes only flags", Assert.Single(result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData("--enabled=true", "true")]
    [InlineData("--enabled=false", "false")]
    [InlineData("--name=x", "true")]
    [InlineData("--", "true")]
    public void Parse_BoolSpellingNotAfterBareBoolFlag_StillAnUnexpectedArgument(string first, string value)
    {
        var result = GoFlagParser.Parse(TestFlags, [first, value], "kedge");

        Assert.Equal($"unexpected argument \"{value}\": kedge takes only flags", Assert.Single(result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Parse_BareBoolFollowedByTwoTrueWords_SecondIsAnUnexpectedArgument()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--enabled", "true", "true"], "kedge");

        Assert.Equal("unexpected argument \"true\": kedge takes only flags", Assert.Single(result.Errors));
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void Parse_GoEndToEndKedgeCommandLine_ClientCertRequiredSetWithWarning()
    {
        var result = GoFlagParser.Parse(KedgeFlags.All, ["--server_tls_client_cert_required", "true", "--server_http_port=0"], "kedge");

        Assert.Empty(result.Errors);
        Assert.True(result.GetBool(KedgeFlags.ServerTlsClientCertRequired));
        Assert.Contains("Write --server_tls_client_cert_required=true", Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ProgramName_UsedInMessages()
    {
        var result = GoFlagParser.Parse(TestFlags, ["extra", "-name=x"], "winch");

        Assert.Equal(
            ["unexpected argument \"extra\": winch takes only flags", "flag -name=x has a single dash; winch flags take two: write --name=x"],
            result.Errors);
    }

    [Fact]
    public void Parse_BareBoolFollowedByFlag_BothSet()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--enabled", "--name", "x"], "kedge");

        Assert.Empty(result.Errors);
        Assert.True(result.GetBool("enabled"));
        Assert.Equal("x", result.GetString("name"));
    }

    // ---- ints ----

    [Theory]
    [InlineData("8080", 8080)]
    [InlineData("+8080", 8080)]
    [InlineData("-42", -42)]
    [InlineData("0", 0)]
    [InlineData("0x1F90", 8080)]
    [InlineData("0X1f90", 8080)]
    [InlineData("017620", 8080)]
    [InlineData("0o17620", 8080)]
    [InlineData("0b1111110010000", 8080)]
    [InlineData("8_080", 8080)]
    [InlineData("0x_1F90", 8080)]
    public void Parse_IntInGoSyntax_Parsed(string value, int expected)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--count={value}"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetInt("count"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("80.0")]
    [InlineData("08080")]
    [InlineData("1e3")]
    [InlineData("8__080")]
    [InlineData("_8080")]
    [InlineData("8080_")]
    [InlineData(" 8080")]
    [InlineData("0x")]
    [InlineData("99999999999999999999")]
    public void Parse_IntInvalid_ReportsFlagAndValue(string value)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--count={value}"], "kedge");

        Assert.Equal($"invalid value \"{value}\" for flag --count: not an integer. Write a whole number such as 8080", Assert.Single(result.Errors));
        Assert.Equal(3, result.GetInt("count"));
    }

    [Theory]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("9223372036854775807")]
    public void Parse_PortOutOfRange_Reported(string value)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--port={value}"], "kedge");

        Assert.Equal($"invalid value \"{value}\" for flag --port: out of range. Use 0 to 65535", Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_IntBeyondInt32_OutOfRange()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--count=2147483648"], "kedge");

        Assert.Contains("out of range", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    // ---- durations ----

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2.5s", 2_500)]
    [InlineData("0", 0)]
    [InlineData("-0", 0)]
    [InlineData("0s", 0)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData(".5s", 500)]
    [InlineData("1.s", 1_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("-1m", -60_000)]
    [InlineData("+3s", 3_000)]
    [InlineData("5000000ns", 5)]
    [InlineData("5000us", 5)]
    [InlineData("5000\u00b5s", 5)]
    [InlineData("5000\u03bcs", 5)]
    [InlineData("1s500ms", 1_500)]
    public void Parse_GoDuration_Parsed(string value, long expectedMilliseconds)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--timeout={value}"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), result.GetDuration("timeout"));
    }

    [Fact]
    public void Parse_SubMicrosecondDuration_TruncatedToTicks()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--timeout=1.2345us"], "kedge");

        Assert.Equal(TimeSpan.FromTicks(12), result.GetDuration("timeout"));
    }

    [Theory]
    [InlineData("10", "time: missing unit in duration \"10\"")]
    [InlineData("1.5", "time: missing unit in duration \"1.5\"")]
    [InlineData("10sec", "time: unknown unit \"sec\" in duration \"10sec\"")]
    [InlineData("1d", "time: unknown unit \"d\" in duration \"1d\"")]
    [InlineData("10S", "time: unknown unit \"S\" in duration \"10S\"")]
    [InlineData("1e3s", "time: unknown unit \"e\" in duration \"1e3s\"")]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("-", "time: invalid duration \"-\"")]
    [InlineData("s", "time: invalid duration \"s\"")]
    [InlineData(".s", "time: invalid duration \".s\"")]
    [InlineData("--1s", "time: invalid duration \"--1s\"")]
    [InlineData("1s ", "time: unknown unit \"s \" in duration \"1s \"")]
    [InlineData("3000000h", "time: invalid duration \"3000000h\"")]
    public void Parse_InvalidDuration_ReportsGoError(string value, string goError)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--timeout={value}"], "kedge");

        Assert.Equal(
            $"invalid value \"{value}\" for flag --timeout: {goError}. Use a Go duration such as 10s, 500ms, 1m30s or 2h (units ns, us, ms, s, m, h)",
            Assert.Single(result.Errors));
        Assert.Equal(TimeSpan.FromSeconds(10), result.GetDuration("timeout"));
    }

    // ---- string slices ----

    [Fact]
    public void Parse_SliceCommaSeparated_Split()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--tags=a,b,c"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(["a", "b", "c"], result.GetStringList("tags"));
    }

    [Fact]
    public void Parse_SliceRepeated_ValuesAccumulateAndReplaceTheDefault()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--files=b.pem", "--files", "c.pem,d.pem", "--files=e.pem"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(["b.pem", "c.pem", "d.pem", "e.pem"], result.GetStringList("files"));
    }

    [Fact]
    public void Parse_SliceNotGiven_Default()
    {
        var result = GoFlagParser.Parse(TestFlags, [], "kedge");

        Assert.Equal(["a.pem"], result.GetStringList("files"));
        Assert.Empty(result.GetStringList("tags"));
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData("a,", new[] { "a", "" })]
    [InlineData(",", new[] { "", "" })]
    [InlineData(" a , b ", new[] { " a ", " b " })]
    [InlineData("\"a,b\",c", new[] { "a,b", "c" })]
    [InlineData("\"say \"\"hi\"\"\",x", new[] { "say \"hi\"", "x" })]
    [InlineData("\"\"", new[] { "" })]
    public void Parse_SliceCsvValue_ReadLikeEncodingCsv(string value, string[] expected)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--files={value}"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetStringList("files"));
    }

    [Theory]
    [InlineData("a\"b", "bare \" in non-quoted-field")]
    [InlineData("\"a", "extraneous or missing \" in quoted-field")]
    [InlineData("\"a\"b", "extraneous or missing \" in quoted-field")]
    [InlineData("a\nb", "line breaks are not allowed")]
    public void Parse_SliceInvalidCsv_Reported(string value, string csvError)
    {
        var result = GoFlagParser.Parse(TestFlags, [$"--files={value}"], "kedge");

        Assert.StartsWith($"invalid value \"{value}\" for flag --files: {csvError}. ", Assert.Single(result.Errors), StringComparison.Ordinal);
        Assert.Equal(["a.pem"], result.GetStringList("files"));
    }

    // ---- allowed values ----

    [Theory]
    [InlineData("panic")]
    [InlineData("fatal")]
    [InlineData("error")]
    [InlineData("warn")]
    [InlineData("warning")]
    [InlineData("info")]
    [InlineData("debug")]
    [InlineData("trace")]
    [InlineData("DEBUG")]
    [InlineData("Warning")]
    public void Parse_LogLevelAccepted_KeptAsGiven(string level)
    {
        var result = GoFlagParser.Parse(KedgeFlags.All, [$"--log_level={level}"], "kedge");

        Assert.Empty(result.Errors);
        Assert.Equal(level, result.GetString(KedgeFlags.LogLevel));
    }

    [Fact]
    public void Parse_LogLevelUnknown_ListsAcceptedLevels()
    {
        var result = GoFlagParser.Parse(KedgeFlags.All, ["--log_level=verbose"], "kedge");

        Assert.Equal(
            "invalid value \"verbose\" for flag --log_level: use one of panic, fatal, error, warn, warning, info, debug, trace",
            Assert.Single(result.Errors));
        Assert.Equal("info", result.GetString(KedgeFlags.LogLevel));
    }

    // ---- unknown flags, missing values, positional arguments ----

    [Theory]
    [InlineData("--server_http_prot=9090", "unknown flag --server_http_prot. Did you mean --server_http_port?")]
    [InlineData("--server-http-port=9090", "unknown flag --server-http-port. Did you mean --server_http_port?")]
    [InlineData("--log-level=debug", "unknown flag --log-level. Did you mean --log_level?")]
    [InlineData("--server_tls_client_ca_file=/ca.pem", "unknown flag --server_tls_client_ca_file. Did you mean --server_tls_client_ca_files?")]
    [InlineData("--kedge_config_director=x", "unknown flag --kedge_config_director. Run with --help to list the flags")]
    [InlineData("--verbose", "unknown flag --verbose. Run with --help to list the flags")]
    public void Parse_UnknownFlag_NamesItAndSuggestsTheClosest(string arg, string expected)
    {
        var result = GoFlagParser.Parse(KedgeFlags.All, [arg], "kedge");

        Assert.Equal(expected, Assert.Single(result.Errors));
    }

    [Fact]
    public void Parse_UnknownFlagWithSpaceValue_ValueNotReportedAgain()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--nmae", "value", "--count", "4"], "kedge");

        Assert.Equal("unknown flag --nmae. Did you mean --name?", Assert.Single(result.Errors));
        Assert.Equal(4, result.GetInt("count"));
    }

    [Fact]
    public void Parse_MissingValueAtEnd_Reported()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--name"], "kedge");

        Assert.Equal("flag --name needs a value. Write --name=VALUE or --name VALUE", Assert.Single(result.Errors));
        Assert.False(result.IsSet("name"));
    }

    [Fact]
    public void Parse_MissingValueBeforeAnotherFlag_ReportedAndTheOtherFlagParsed()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--name", "--count=5"], "kedge");

        Assert.Equal("flag --name needs a value; the next argument --count=5 is a flag. Write --name=VALUE or --name VALUE", Assert.Single(result.Errors));
        Assert.Equal(5, result.GetInt("count"));
        Assert.Equal("default-name", result.GetString("name"));
    }

    [Fact]
    public void Parse_PositionalArgument_Reported()
    {
        var result = GoFlagParser.Parse(TestFlags, ["serve", "--count=1"], "kedge");

        Assert.Equal("unexpected argument \"serve\": kedge takes only flags", Assert.Single(result.Errors));
        Assert.Equal(1, result.GetInt("count"));
    }

    [Fact]
    public void Parse_ArgumentsAfterDoubleDash_Positional()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--count=1", "--", "--name=x", "-"], "kedge");

        Assert.Equal(
            ["unexpected argument \"--name=x\": kedge takes only flags", "unexpected argument \"-\": kedge takes only flags"],
            result.Errors);
        Assert.Equal("default-name", result.GetString("name"));
    }

    [Fact]
    public void Parse_DoubleDashAlone_NoError()
    {
        var result = GoFlagParser.Parse(TestFlags, ["--count=1", "--"], "kedge");

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_ManyProblems_EveryErrorCollectedInOrder()
    {
        string[] args =
        [
            "--server_http_port=http",
            "-log_level=debug",
            "--server_http_max_read_timeout=10",
            "--server_bind_adress=127.0.0.1",
            "stray",
            "--server_tls_client_cert_required=maybe",
            "--server_metrics_path=/m",
            "--server_tls_cert_file",
        ];

        var result = GoFlagParser.Parse(KedgeFlags.All, args, "kedge");

        Assert.False(result.Succeeded);
        Assert.Equal(7, result.Errors.Count);
        Assert.StartsWith("invalid value \"http\" for flag --server_http_port", result.Errors[0], StringComparison.Ordinal);
        Assert.StartsWith("flag -log_level=debug has a single dash", result.Errors[1], StringComparison.Ordinal);
        Assert.StartsWith("invalid value \"10\" for flag --server_http_max_read_timeout: time: missing unit", result.Errors[2], StringComparison.Ordinal);
        Assert.Equal("unknown flag --server_bind_adress. Did you mean --server_bind_address?", result.Errors[3]);
        Assert.StartsWith("unexpected argument \"stray\"", result.Errors[4], StringComparison.Ordinal);
        Assert.StartsWith("invalid value \"maybe\" for flag --server_tls_client_cert_required", result.Errors[5], StringComparison.Ordinal);
        Assert.StartsWith("flag --server_tls_cert_file needs a value", result.Errors[6], StringComparison.Ordinal);
        Assert.Equal("/m", result.GetString(KedgeFlags.ServerMetricsPath));
    }

    // ---- result API ----

    [Fact]
    public void GetValue_UndefinedFlag_Throws()
    {
        var result = GoFlagParser.Parse(TestFlags, [], "kedge");

        Assert.Throws<ArgumentException>(() => result.GetString("nope"));
        Assert.Throws<ArgumentException>(() => result.IsSet("nope"));
    }

    [Fact]
    public void GetValue_WrongKind_Throws()
    {
        var result = GoFlagParser.Parse(TestFlags, [], "kedge");

        Assert.Throws<InvalidOperationException>(() => result.GetInt("name"));
        Assert.Throws<InvalidOperationException>(() => result.GetString("count"));
        Assert.Throws<InvalidOperationException>(() => result.GetDuration("enabled"));
        Assert.Throws<InvalidOperationException>(() => result.GetStringList("name"));
        Assert.Throws<InvalidOperationException>(() => result.GetBool("timeout"));
    }

    [Fact]
    public void Parse_DuplicateFlagDefinitions_Throws()
    {
        IReadOnlyList<GoFlag> flags = [GoFlag.String("a", "", "x"), GoFlag.Int("a", 0, "y")];

        Assert.Throws<ArgumentException>(() => GoFlagParser.Parse(flags, [], "kedge"));
    }

    [Theory]
    [InlineData("--name")]
    [InlineData("name=x")]
    [InlineData(" ")]
    public void GoFlag_InvalidName_Throws(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => GoFlag.String(name, string.Empty, "help"));
    }

    [Fact]
    public void Suggest_NothingWithinDistanceThree_Null()
    {
        Assert.Null(GoFlagParser.Suggest("abcdef", ["uvwxyz", "server_http_port"]));
        Assert.Equal("abcxyz", GoFlagParser.Suggest("abcdef", ["uvwxyz", "abcxyz"]));
        Assert.Equal("log_level", GoFlagParser.Suggest("log_levl", ["log_level", "log_levels"]));
    }

    [Fact]
    public void FormatUsage_KedgeFlags_ListsEveryFlagWithTypeAndDefault()
    {
        var usage = GoFlagParser.FormatUsage(KedgeFlags.All);
        var lines = usage.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(KedgeFlags.All.Count, lines.Length);
        Assert.Contains(lines, line => line.StartsWith("      --server_bind_address string ", StringComparison.Ordinal) && line.EndsWith("(default \"0.0.0.0\")", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("      --server_http_tls_port int ", StringComparison.Ordinal) && line.EndsWith("(default 8443)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("      --server_http_max_read_timeout duration ", StringComparison.Ordinal) && line.EndsWith("(default 10s)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("      --server_tls_client_cert_required ", StringComparison.Ordinal) && line.EndsWith("(default true)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("      --server_tls_client_ca_files strings ", StringComparison.Ordinal) && !line.Contains("(default", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("      --kedge_config_director_config string ", StringComparison.Ordinal) && !line.Contains("(default", StringComparison.Ordinal));
    }
}
