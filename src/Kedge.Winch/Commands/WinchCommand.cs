using System.CommandLine;
using Kedge.GoCompat.Jsonpb;
using Kedge.GoCompat;
using Kedge.Winch.Configuration;
using Kedge.Winch.Hosting;

namespace Kedge.Winch.Commands;

/// <summary>
/// The <c>winch</c> command. System.CommandLine gives the command surface (<c>--help</c>, <c>--version</c>, exit
/// codes, Ctrl+C); the flags are read with the same pflag-compatible parser as kedge's, from the command line as typed,
/// so Go winch command lines (<c>--name=value</c>, <c>--name value</c>, bare bool flags, Go durations, comma-separated
/// lists) work unchanged and exactly as they do in kedge.
/// </summary>
internal static class WinchCommand
{
    /// <summary>Exit code for bad flags or configs.</summary>
    public const int ExitBadInput = 2;

    /// <summary>Exit code when winch could not start or failed while running (for example a port in use).</summary>
    public const int ExitFailure = 1;

    private const string Description =
        """
        winch: the developer's local proxy to every cluster's kedge.
        Verbs: (none) run the proxy; 'winch check' checks the setup (kedges, client certificate, tokens, routes);
        'winch forward --listen 127.0.0.1:5432 postgres.db.svc.cluster-b.kedge:5432' turns a local port into a tunnel.

        Point HTTP_PROXY (or a browser's PAC URL http://127.0.0.1:8070/wpad.dat) at winch, or dial gRPC at
        127.0.0.1:8071 with the call's authority set to the target. winch maps host[:port] with the mapper routes
        and sends the call to that cluster's kedge over mTLS with the route's tokens; other hosts go directly.

        HTTPS_PROXY=http://127.0.0.1:8070 works for mapped hosts: a CONNECT is tunnelled through the host's kedge (TLS
        stays end to end); a CONNECT to a host no route maps, or to an IP address, is refused (403).
        Flags use Go winch's names: --name=value or --name value; durations like 10s; lists comma-separated.
        """;

    /// <param name="args">The command line as typed: the Go flag parser reads it, not System.CommandLine's tokens.</param>
    /// <param name="error">Where start-up problems and warnings go.</param>
    /// <param name="started">Called once winch listens.</param>
    public static RootCommand Create(IReadOnlyList<string> args, TextWriter error, Action<WinchServer>? started, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = new RootCommand(Description + "\n" + GoFlagParser.BoolSyntaxHelp) { TreatUnmatchedTokensAsErrors = false };
        foreach (var flag in WinchFlags.All)
        {
            root.Options.Add(new Option<string[]>("--" + flag.Name)
            {
                Description = $"{flag.Help} (default {flag.DefaultText})",
                // Listed for --help only. A bool flag shows no separate value: its value goes after '='.
                Arity = flag.Kind == GoFlagKind.Bool ? ArgumentArity.Zero : ArgumentArity.ZeroOrMore,
                HelpName = flag.Kind switch
                {
                    GoFlagKind.Bool => null,
                    GoFlagKind.Int => "int",
                    GoFlagKind.Duration => "duration",
                    GoFlagKind.StringSlice => "list",
                    _ => "string",
                },
            });
        }

        root.Subcommands.Add(Checks.WinchCheckCommand.Create(args, () => output ?? Console.Out));
        root.Subcommands.Add(Forward.WinchForwardCommand.Create(args, error));

        // Not parseResult.Tokens: System.CommandLine splits "--debug_mode=true" into "--debug_mode" "true", which pflag
        // reads as a bare bool flag and a stray argument.
        root.SetAction((_, cancellationToken) => RunAsync(args, error, started, cancellationToken));
        return root;
    }

    /// <summary>Runs winch until it is stopped; returns the process exit code.</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null, Action<WinchServer>? started = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Create(args, error, started, output);

        // Go winch has no response files: "@name" is an argument like any other.
        return root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null })
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    /// <summary>
    /// Reads the flags and configs into settings; null after adding every problem to <paramref name="errors"/>.
    /// Forms that are accepted but better written another way go to <paramref name="warnings"/>.
    /// </summary>
    public static WinchSettings? ReadSettings(IReadOnlyList<string> args, List<string> errors, List<string>? warnings = null)
        => ReadSettings(args, WinchFlags.All, "winch", errors, warnings, out _);

    /// <summary>
    /// As <see cref="ReadSettings(IReadOnlyList{string}, List{string}, List{string}?)"/> with a verb's own flags added to
    /// winch's (<c>winch check</c>): one reading path for the flags and config files, so a check sees what a start sees.
    /// </summary>
    internal static WinchSettings? ReadSettings(IReadOnlyList<string> args, IReadOnlyList<GoFlag> flags, string program, List<string> errors, List<string>? warnings, out GoFlagParseResult parsed)
    {
        parsed = GoFlagParser.Parse(flags, args, program);
        errors.AddRange(parsed.Errors);
        warnings?.AddRange(parsed.Warnings);
        if (!parsed.Succeeded)
        {
            return null;
        }

        var mapperJson = ReadConfig(parsed, WinchFlags.ServerMapperConfig, WinchFlags.ServerMapperConfigPath, "mapper config", errors, out var mapperSource);
        var authJson = ReadConfig(parsed, WinchFlags.ServerAuthConfig, WinchFlags.ServerAuthConfigPath, "auth config", errors, out var authSource);
        var config = mapperJson is not null && authJson is not null ? WinchConfigReader.Read(mapperJson, mapperSource, authJson, authSource, errors) : null;

        var pacExpressions = parsed.GetStringList(WinchFlags.PacRedirectShExpressions);
        var pacFile = parsed.GetString(WinchFlags.PacFile);
        if (pacExpressions.Count > 0 && pacFile.Length > 0)
        {
            errors.Add($"flag '{WinchFlags.PacRedirectShExpressions}' cannot be specified with '{WinchFlags.PacFile}'. Give the host patterns or a PAC file, not both");
        }

        if (pacFile.Length > 0 && !File.Exists(pacFile))
        {
            errors.Add($"--{WinchFlags.PacFile}: the file '{pacFile}' does not exist");
        }

        var certFile = parsed.GetString(WinchFlags.ClientTlsCertFile);
        var keyFile = parsed.GetString(WinchFlags.ClientTlsKeyFile);
        if (certFile.Length > 0)
        {
            if (keyFile is "" or ".")
            {
                errors.Add($"--{WinchFlags.ClientTlsCertFile} needs --{WinchFlags.ClientTlsKeyFile}: give the PEM key of the client certificate");
            }

            CheckFile(WinchFlags.ClientTlsCertFile, certFile, errors);
            if (keyFile is not ("" or "."))
            {
                CheckFile(WinchFlags.ClientTlsKeyFile, keyFile, errors);
            }
        }

        var caFiles = parsed.GetStringList(WinchFlags.ClientTlsRootCaFiles);
        foreach (var file in caFiles)
        {
            CheckFile(WinchFlags.ClientTlsRootCaFiles, file, errors);
        }

        var monitoring = parsed.GetString(WinchFlags.ServerHttpMonitoringAddress);
        if (monitoring.Length > 0 && WinchServer.ParseEndPoint(monitoring) is null)
        {
            errors.Add($"--{WinchFlags.ServerHttpMonitoringAddress}: \"{monitoring}\" is not host:port with an IP address or localhost, for example 127.0.0.1:8072 or :8072 (every interface)");
        }

        var httpPort = parsed.GetInt(WinchFlags.ServerHttpPort);
        if (httpPort != 0 && httpPort == parsed.GetInt(WinchFlags.ServerGrpcPort))
        {
            errors.Add($"--{WinchFlags.ServerHttpPort} and --{WinchFlags.ServerGrpcPort} are both {httpPort}: the HTTP proxy and the gRPC proxy need their own ports");
        }

        var metricsPath = parsed.GetString(WinchFlags.ServerMetricsPath);
        if (!metricsPath.StartsWith('/'))
        {
            errors.Add($"--{WinchFlags.ServerMetricsPath}: \"{metricsPath}\" must start with '/', for example /metrics");
        }

        var otlpEndpoint = parsed.GetString(WinchFlags.OtlpEndpoint);
        if (otlpEndpoint.Length > 0 && (!Uri.TryCreate(otlpEndpoint, UriKind.Absolute, out var otlpUri) || (otlpUri.Scheme != Uri.UriSchemeHttp && otlpUri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"--{WinchFlags.OtlpEndpoint}: \"{Tracing.WinchTelemetrySetup.Shown(otlpEndpoint)}\" is not an http:// or https:// URL; give the collector's OTLP address, for example http://127.0.0.1:4317");
        }

        if (config is not null)
        {
            CheckCallbackPaths(config, metricsPath, errors);
        }

        if (errors.Count > 0 || config is null)
        {
            return null;
        }

        return new WinchSettings
        {
            HttpPort = parsed.GetInt(WinchFlags.ServerHttpPort),
            GrpcPort = parsed.GetInt(WinchFlags.ServerGrpcPort),
            MonitoringAddress = monitoring,
            MetricsPath = metricsPath,
            HttpMaxReadTimeout = parsed.GetDuration(WinchFlags.ServerHttpMaxReadTimeout),
            AuthTimeout = parsed.GetDuration(WinchFlags.ServerAuthTimeout),
            CorsAllowedOrigins = parsed.GetStringList(WinchFlags.CorsAllowedOrigin),
            LogLevel = parsed.GetString(WinchFlags.LogLevel),
            DebugMode = parsed.GetBool(WinchFlags.DebugMode),
            LogFormat = parsed.GetString(WinchFlags.LogFormat).ToLowerInvariant(),
            OtlpEndpoint = otlpEndpoint,
            PacShExpressions = pacExpressions,
            PacFile = pacFile,
            ClientCertFile = certFile,
            ClientKeyFile = keyFile is "." ? string.Empty : keyFile,
            RootCaFiles = caFiles,
            ClientInsecure = parsed.GetBool(WinchFlags.ClientInsecure),
            Config = config,
        };
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter error, Action<WinchServer>? started, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var settings = ReadSettings(args, errors, warnings);
        foreach (var warning in warnings)
        {
            await error.WriteLineAsync("winch: warning: " + warning).ConfigureAwait(false);
        }

        var server = settings is null ? null : WinchServer.Build(settings, errors);
        if (server is null)
        {
            await FailAsync(error, errors).ConfigureAwait(false);
            return ExitBadInput;
        }

        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await FailAsync(error, [$"cannot listen: {ex.Message}. Another winch may be running; stop it or choose --{WinchFlags.ServerHttpPort} and --{WinchFlags.ServerGrpcPort}"]).ConfigureAwait(false);
                return ExitFailure;
            }

            started?.Invoke(server);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop cleanly.
            }
        }

        return 0;
    }

    private static string? ReadConfig(GoFlagParseResult parsed, string flag, string pathFlag, string what, List<string> errors, out string source)
    {
        var path = parsed.GetString(pathFlag);
        if (path.Length == 0)
        {
            source = $"{what} (--{flag})";
            return parsed.GetString(flag);
        }

        source = $"{what} ({path})";
        if (parsed.IsSet(flag))
        {
            errors.Add($"--{flag} and --{pathFlag} are both given; give the {what} one way");
            return null;
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"--{pathFlag}: cannot read '{path}': {ex.Message}");
            return null;
        }
    }

    /// <summary>Each oidc callback path is winch's own endpoint, so it must be unique and not one of winch's others.</summary>
    private static void CheckCallbackPaths(WinchConfig config, string metricsPath, List<string> errors)
    {
        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["/wpad.dat"] = "the PAC file",
            ["/healthz"] = "the health endpoint",
            ["/version"] = "the version endpoint",
            [Dashboard.WinchDashboard.Path] = "the dashboard",
            [Dashboard.WinchDashboard.StatePath] = "the dashboard's state",
            [metricsPath] = "the metrics endpoint",
        };
        foreach (var source in config.AuthSources.Values.Where(s => s.LoginCallbackPath.Length > 0))
        {
            if (!taken.TryAdd(source.LoginCallbackPath, $"auth source \"{source.Name}\""))
            {
                errors.Add($"{GoConfigErrorSink.Locate("auth config", source.Path + ".oidc.login_callback_path")}: \"{source.LoginCallbackPath}\" is already {taken[source.LoginCallbackPath]}'s path on winch. Give each oidc source its own callback path, for example \"/login/{source.Name}/callback\"");
            }
        }
    }

    private static void CheckFile(string flag, string path, List<string> errors)
    {
        if (!File.Exists(path))
        {
            errors.Add($"--{flag}: the file '{path}' does not exist");
        }
    }

    private static async Task FailAsync(TextWriter error, List<string> errors)
    {
        await error.WriteLineAsync("winch: cannot start:").ConfigureAwait(false);
        foreach (var message in errors)
        {
            await error.WriteLineAsync("  - " + message).ConfigureAwait(false);
        }

        await error.WriteLineAsync("Run 'winch --help' for the flags.").ConfigureAwait(false);
    }
}
