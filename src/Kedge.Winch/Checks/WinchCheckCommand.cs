using System.CommandLine;
using System.Net;
using Kedge.Common.Checks;
using Kedge.GoCompat;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Proxy;
using Kedge.Winch.Routing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Winch.Checks;

/// <summary>
/// <c>winch check</c>: reads winch's flags and config files exactly as a start does, then checks in parallel, each under
/// its own timeout, every kedge the mapping sends to (DNS, TCP, TLS with the client certificate, whether kedge accepts
/// it), every auth source a route uses (a token is obtainable), and one request per route through the same Kedge.Client
/// path winch proxies with. Writes a table (or JSON) and exits 0 when every line is ✔, 1 on any ✘, 2 when the worst is ⚠.
/// It binds no port and starts no login.
/// </summary>
internal static class WinchCheckCommand
{
    public const string Name = "check";

    private const string Description =
        """
        Checks winch's setup and tells what is wrong and how to fix it: for every kedge in the mapping DNS, TCP, the TLS
        handshake with the client certificate (is it accepted? when does it expire?), a token from every auth source a
        route uses, and one request per route (pattern routes need --probe=host[:port]). Same flags and configs as winch.
        Exit 0: all ✔; 1: any ✘; 2: only ⚠.
        """;

    /// <param name="args">The command line as typed (with the verb); the Go flag parser reads it.</param>
    public static Command Create(IReadOnlyList<string> args, Func<TextWriter> output)
    {
        var command = new Command(Name, Description) { TreatUnmatchedTokensAsErrors = false };
        foreach (var flag in WinchCheckFlags.All)
        {
            command.Options.Add(new Option<string[]>("--" + flag.Name)
            {
                Description = $"{flag.Help} (default {flag.DefaultText})",
                Arity = ArgumentArity.ZeroOrMore,
                HelpName = flag.Kind == GoFlagKind.Duration ? "duration" : flag.Kind == GoFlagKind.StringSlice ? "list" : "string",
            });
        }

        command.SetAction((_, cancellationToken) => RunAsync(WithoutVerb(args), output(), TimeProvider.System, resolveHostAsync: null, cancellationToken));
        return command;
    }

    /// <summary>Runs the checks and writes the report; returns the exit code.</summary>
    /// <param name="resolveHostAsync">How kedge hosts are resolved; null for the system resolver.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TimeProvider timeProvider, Func<string, CancellationToken, Task<IPAddress[]>>? resolveHostAsync = null, CancellationToken cancellationToken = default)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var settings = WinchCommand.ReadSettings(args, WinchCheckFlags.WithWinchFlags, "winch check", errors, warnings, out var parsed);
        var json = parsed.Succeeded ? parsed.GetString(WinchCheckFlags.Output) == WinchCheckFlags.OutputJson : AsksForJson(args);
        var timeout = parsed.Succeeded ? parsed.GetDuration(WinchCheckFlags.Timeout) : TimeSpan.FromSeconds(3);
        if (parsed.Succeeded && timeout <= TimeSpan.Zero)
        {
            errors.Add($"--{WinchCheckFlags.Timeout}: give a positive duration, for example 3s");
        }

        CheckReport report;
        if (settings is null || errors.Count > 0)
        {
            report = new CheckReport([.. errors.Select(e => CheckResult.Fail("configuration", "flags and configs", e, "correct it; 'winch --help' lists the flags"))]);
        }
        else
        {
            report = await RunChecksAsync(settings, parsed, warnings, timeout, timeProvider, resolveHostAsync ?? Dns.GetHostAddressesAsync, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync(json ? report.ToJson() : report.ToTable()).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return report.ExitCode;
    }

    private static async Task<CheckReport> RunChecksAsync(WinchSettings settings, GoFlagParseResult parsed, List<string> warnings, TimeSpan timeout, TimeProvider timeProvider, Func<string, CancellationToken, Task<IPAddress[]>> resolveHostAsync, CancellationToken cancellationToken)
    {
        var mapperSource = Source(parsed, WinchFlags.ServerMapperConfig, WinchFlags.ServerMapperConfigPath, "mapper config");
        var authSource = Source(parsed, WinchFlags.ServerAuthConfig, WinchFlags.ServerAuthConfigPath, "auth config");
        var configuration = new List<CheckResult>();
        using var issuerClient = WinchAuthContext.CreateIssuerClient();
        var authContext = new WinchAuthContext(timeProvider, issuerClient, NullLogger.Instance, settings.AuthTimeout)
        {
            // Where a login would start on a running winch with these flags.
            WinchAddress = "http://127.0.0.1:" + (settings.HttpPort == 0 ? 8070 : settings.HttpPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var auth = new AuthSourceFactory(settings.Config.AuthSources, authContext);
        var errors = new List<string>();
        var mappers = WinchMappers.Build(settings.Config.Routes, auth, errors);
        WinchKedgeClients? clients = null;
        if (mappers is not null)
        {
            try
            {
                clients = WinchKedgeClients.Create(settings, mappers, NullLoggerFactory.Instance, timeProvider, meterFactory: null);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                errors.AddRange(ex.Failures.Select(f => "client TLS: " + f));
            }
        }

        if (clients is null || mappers is null)
        {
            return new CheckReport([.. errors.Select(e => CheckResult.Fail("configuration", "routes and auth sources", e, $"correct {mapperSource} or {authSource}"))]);
        }

        using (clients)
        {
            configuration.Add(CheckResult.Pass("configuration", "routes", $"{settings.Config.Routes.Count} route(s) from {mapperSource} ({mappers.HttpRouteCount} for HTTP, {mappers.GrpcRouteCount} for gRPC)"));
            configuration.Add(CheckResult.Pass("configuration", "auth sources", $"{settings.Config.AuthSources.Count} from {authSource}; {auth.Built.Count} used by routes"));
            configuration.AddRange(warnings.Select(w => CheckResult.Warn("configuration", "flags", w, "write it as the message says")));
            var (certificate, trust, certificateLines) = ClientCertificateChecks.Load(settings, timeProvider);
            var context = new WinchCheckContext
            {
                Settings = settings,
                Mappers = mappers,
                Auth = auth,
                Clients = clients,
                TimeProvider = timeProvider,
                ResolveHostAsync = resolveHostAsync,
                Timeout = timeout,
                Probes = parsed.GetStringList(WinchCheckFlags.Probe),
                MapperSource = mapperSource,
                AuthSource = authSource,
                ClientCertificate = certificate,
                Trust = trust,
            };

            List<CheckDefinition> checks =
            [
                .. configuration.Concat(certificateLines).Select(CheckDefinition.Known),
                .. Kedges(context).Select(k => KedgeConnectionChecks.For(k, context)),
                .. AuthSourceChecks.For(context),
                .. RouteChecks.For(context),
            ];
            return await CheckRunner.RunAsync(checks, timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every distinct kedge: of direct routes, of pattern routes with a fixed URL, and of the probes' routes.</summary>
    internal static List<KedgeCheckTarget> Kedges(WinchCheckContext context)
    {
        var kedges = new Dictionary<string, (Uri Url, List<string> UsedBy)>(StringComparer.OrdinalIgnoreCase);
        void Add(Uri url, string usedBy)
        {
            var key = url.GetLeftPart(UriPartial.Authority);
            if (!kedges.TryGetValue(key, out var entry))
            {
                kedges[key] = entry = (new Uri(key), []);
            }

            if (!entry.UsedBy.Contains(usedBy))
            {
                entry.UsedBy.Add(usedBy);
            }
        }

        foreach (var route in context.Settings.Config.Routes)
        {
            if (!route.Url.Contains('$', StringComparison.Ordinal) && Uri.TryCreate(route.Url, UriKind.Absolute, out var url))
            {
                Add(url, $"{context.MapperSource} {route.Path}");
            }
        }

        foreach (var probe in context.Probes)
        {
            if (!Uri.TryCreate("http://" + probe, UriKind.Absolute, out var uri))
            {
                continue;
            }

            var port = probe.EndsWith(":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) ? uri.Port : (int?)null;
            try
            {
                if ((context.Clients.Http.Mapper.Map(uri.IdnHost, port) ?? context.Clients.Grpc.Mapper.Map(uri.IdnHost, port)) is { } route)
                {
                    Add(route.KedgeUrl, "--probe=" + probe);
                }
            }
            catch (Kedge.Client.Mapping.KedgeMappingException)
            {
                // Its route line says so.
            }
        }

        return [.. kedges.Values.Select(k => new KedgeCheckTarget(k.Url, k.UsedBy))];
    }

    private static string Source(GoFlagParseResult parsed, string flag, string pathFlag, string what)
        => parsed.GetString(pathFlag) is { Length: > 0 } path ? $"{what} ({path})" : $"{what} (--{flag})";

    private static bool AsksForJson(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--output=json" or "-output=json" || (args[i] is "--output" or "-output" && i + 1 < args.Count && args[i + 1] == "json"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The command line without the first <c>check</c>: the Go flag parser reads flags, not verbs.</summary>
    internal static List<string> WithoutVerb(IReadOnlyList<string> args)
    {
        var rest = args.ToList();
        rest.Remove(Name);
        return rest;
    }
}
