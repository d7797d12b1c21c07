using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Hosting.GoFlags;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.Server.Hosting;

/// <summary>
/// The <c>kedge</c> command line: Go kedge's flags (drop-in), plus <c>--config &lt;file&gt;</c> for the native
/// configuration, <c>--print-config</c> to check and print the effective configuration in the native format, and
/// <c>--version</c>; and the verb <c>kedge check</c> (<see cref="Checks.KedgeCheckCommand"/>), which reads the same flags
/// the same way and checks the setup without starting.
/// </summary>
public static partial class KedgeProgram
{
    internal const string ConfigFlag = "config";
    internal const string PrintConfigFlag = "print_config";
    internal const string VersionFlag = "version";

    /// <summary>What <c>--help</c> says before the flags: the one precedence rule and what reloads.</summary>
    internal const string UsageHeader = """
        Usage: kedge [flags]
               kedge check [flags]   check the configuration, certificates, routing, backends and cluster access
                                     without starting, one line per check with the fix (kedge check --help)

        Every setting has a flag, a native key (in [brackets]: "Kedge": { "Server": { "HttpPort": 8080 } } in the
        --config file) and an environment variable (Kedge__Server__HttpPort=8080). When a setting is given more than
        once, the command line wins, then the environment, then the native file, then the default; --print-config shows
        the winner of each. Settings are read once at start, except where their [brackets] say how they are re-read.
        Routing (routes, backends, adhoc rules) comes from --config or the Go director/backendpool flags, never from
        settings, and its files are watched: a valid change is applied, an invalid one rejected.
        """;

    internal static readonly IReadOnlyList<GoFlag> Flags =
    [
        .. KedgeFlags.All,
        GoFlag.String(ConfigFlag, string.Empty, "A JSON file with a native 'Kedge' section: routing (routes, backends, adhoc rules) and settings (Kedge:Server, Kedge:Auth, Kedge:Kubernetes, Kedge:Discovery). Watched: routing changes are applied; settings are read at start. Use it instead of the Go config flags."),
        GoFlag.Bool(PrintConfigFlag, false, "Check the flags, settings and routing as at start (a missing listener certificate and cluster access excepted), then print the effective configuration as a native --config file on stdout (secrets left out, with a note on how to give them) and the winner of each setting on stderr, and exit; non-zero and every error listed when a check fails."),
        GoFlag.Bool(VersionFlag, false, "Print kedge's version and the .NET runtime, and exit."),
    ];

    /// <summary>
    /// Runs kedge until it is stopped; returns the process exit code (0 after a clean shutdown, 1 when a port is in use,
    /// 2 for bad input). With <c>check</c> as the first argument, runs <c>kedge check</c> instead and returns its exit
    /// code (0 all ✔, 1 any ✘, 2 only ⚠).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;

        if (args.Length > 0 && args[0] == Checks.KedgeCheckCommand.Verb)
        {
            return await Checks.KedgeCheckCommand.RunAsync(args[1..], output, error, cancellationToken: cancellationToken);
        }

        // --print-config and --config-style dashes are accepted as well as Go's underscores.
        var normalized = args.Select(a => a.StartsWith("--print-config", StringComparison.Ordinal) ? "--print_config" + a["--print-config".Length..] : a).ToArray();
        var parsed = GoFlagParser.Parse(Flags, normalized, "kedge");
        if (parsed.HelpRequested)
        {
            await output.WriteLineAsync(UsageHeader + "\n\nFlags:\n" + GoFlagParser.FormatUsage(Flags) + "\n" + GoFlagParser.BoolSyntaxHelp);
            return 0;
        }

        foreach (var warning in parsed.Warnings)
        {
            await error.WriteLineAsync("kedge: warning: " + warning);
        }

        var errors = new List<string>(parsed.Errors);
        if (!parsed.Succeeded)
        {
            return await FailAsync(error, errors);
        }

        if (parsed.GetBool(VersionFlag))
        {
            await output.WriteLineAsync(VersionText());
            return 0;
        }

        var print = parsed.GetBool(PrintConfigFlag);
        var reading = ReadStartup(parsed, print ? KedgeStartupMode.PrintConfig : KedgeStartupMode.Start);
        errors.AddRange(reading.Errors);
        var (source, report, routing) = (reading.Source, reading.Report, reading.Routing);
        var settings = report.Settings;
        if (errors.Count > 0 || source is null || routing is null)
        {
            return await FailAsync(error, errors);
        }

        if (print)
        {
            await output.WriteAsync(PrintedConfig(routing, report));
            await error.WriteAsync(report.ToTable());
            foreach (var secret in report.OmittedSecrets())
            {
                var flag = secret.Flags.Count > 0 ? $" (or --{secret.Flags[0].Name})" : string.Empty;
                await error.WriteLineAsync($"kedge: note: {secret.Path} is set and left out of the printed configuration; give it to the new kedge as ${secret.EnvironmentVariable}{flag}.");
            }

            return 0;
        }

        var server = KedgeServerApp.Build(settings.Server, builder =>
        {
            builder.Services.AddSingleton(report);
            builder.Services.AddSingleton(source);
            builder.Services.AddSingleton(settings.Kubernetes);
            builder.Services.AddSingleton(settings.Discovery);
            builder.Services.AddHostedService<KedgeConfigWatcher>();
        });
        await using (server)
        {
            var applied = await server.ApplyValidatedAsync(routing, source.Origin);
            if (applied.Count > 0)
            {
                return await FailAsync(error, [.. applied]);
            }

            try
            {
                await server.App.RunAsync(cancellationToken);
            }
            catch (IOException ex) when (PortInUse(ex, report) is { } message)
            {
                await error.WriteLineAsync("kedge: cannot start: " + message);
                return 1;
            }
            catch (SocketException ex)
            {
                // Kestrel wraps only "address in use"; any other bind failure (an address this host does not have, a
                // privileged port) arrives raw, without the address.
                await error.WriteLineAsync("kedge: cannot start: " + BindFailed(ex, report));
                return 1;
            }
        }

        return 0;
    }

    /// <summary>
    /// The one reading of kedge's configuration, shared by a start, <c>--print-config</c> and <c>kedge check</c>: the
    /// routing source from the flags, the settings from the command line, environment and native file (one precedence
    /// rule), their validation, then the routing read and validated once, and — when asked and nothing failed so far —
    /// whether cluster access is set up. Every error is collected; nothing stops at the first.
    /// </summary>
    /// <param name="parsed">The command line.</param>
    /// <param name="mode">
    /// <see cref="KedgeStartupMode.Start"/>: everything. <see cref="KedgeStartupMode.PrintConfig"/>: no listener
    /// certificate needed (the printed file is often used where it is given separately) and no cluster.
    /// <see cref="KedgeStartupMode.Check"/>: the TLS files are left to the certificate checks, and cluster access is
    /// checked even after other errors.
    /// </param>
    internal static KedgeStartupReading ReadStartup(GoFlagParseResult parsed, KedgeStartupMode mode)
    {
        var routingErrors = new List<string>();
        var settingsErrors = new List<string>();
        var errors = new List<string>();
        void Take(List<string> from, List<string> into)
        {
            into.AddRange(from);
            errors.AddRange(from);
            from.Clear();
        }

        var found = new List<string>();
        var source = KedgeConfigSource.FromFlags(parsed, found);
        Take(found, routingErrors);
        var (nativeFile, nativeFileName) = source?.ReadSettingsFile() ?? (null, null);
        var report = KedgeSettingsReader.Read(parsed, nativeFile, nativeFileName, new ConfigurationBuilder().AddEnvironmentVariables().Build(), found);
        KedgeSettingsValidator.Validate(report, found, requireListenerCertificate: mode != KedgeStartupMode.PrintConfig, checkTlsFiles: mode != KedgeStartupMode.Check);
        Take(found, settingsErrors);

        // Load reads and validates the routing once, so --print-config, a start and kedge check report the same errors.
        var routing = source?.Load(report.Settings.Server, found);
        Take(found, routingErrors);
        var kubernetesErrors = new List<string>();
        if (mode == KedgeStartupMode.Check || (mode == KedgeStartupMode.Start && errors.Count == 0))
        {
            KubernetesAccessCheck.Run(report.Settings.Kubernetes, report.Settings.Discovery, routing, found);
            Take(found, kubernetesErrors);
        }

        return new KedgeStartupReading(source, report, routing, errors, routingErrors, settingsErrors, kubernetesErrors);
    }

    /// <summary>The version line: the informational version (with the commit when the build stamped one) and the runtime.</summary>
    internal static string VersionText()
    {
        var assembly = typeof(KedgeProgram).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return $"kedge {version} ({RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier})";
    }

    /// <summary>
    /// The routing as native JSON, with the settings that did not come from their default in front of it, so that the
    /// output given back as <c>--config</c> starts the same kedge.
    /// </summary>
    private static string PrintedConfig(KedgeServerOptions routing, KedgeSettingsReport report)
    {
        var native = NativeConfigWriter.ToNativeJson(routing);
        var sections = report.NativeSections().ToList();
        if (sections.Count == 0)
        {
            return native;
        }

        var routingPart = JsonNode.Parse(native)!["Kedge"]!.AsObject();
        var kedge = new JsonObject(sections);
        foreach (var (name, value) in routingPart.ToList())
        {
            routingPart.Remove(name);
            kedge[name] = value;
        }

        var root = new JsonObject { ["Kedge"] = kedge };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    [GeneratedRegex(@"address (?<address>\S+?): ", RegexOptions.CultureInvariant)]
    private static partial Regex BindAddressInMessage();

    /// <summary>A listener could not bind for another reason than a taken port: names the addresses and ports in use and where they came from.</summary>
    private static string BindFailed(SocketException exception, KedgeSettingsReport report)
    {
        var listeners = KedgeSettingCatalog.All
            .Where(s => s.IsPort ? s.Get(report.Settings) is int port && port != 0 : s.Key is "BindAddress" or "AdminBindAddress" && s.Get(report.Settings) is not null)
            .Select(s => $"{s.Path}={KedgeSetting.Format(s.Get(report.Settings))} ({report.Origin(s)})");
        return $"a listener could not bind: {exception.Message} ({exception.SocketErrorCode}). The listeners are {string.Join(", ", listeners)}; give addresses this host has (or 0.0.0.0 / ::) and ports it may open.";
    }

    /// <summary>"port 8443 (--server_http_tls_port) is in use …" when Kestrel could not bind because the port is taken.</summary>
    private static string? PortInUse(IOException exception, KedgeSettingsReport report)
    {
        if (exception.InnerException is not AddressInUseException
            || BindAddressInMessage().Match(exception.Message) is not { Success: true } match
            || !Uri.TryCreate(match.Groups["address"].Value, UriKind.Absolute, out var address))
        {
            return null;
        }

        var owners = KedgeSettingCatalog.All.Where(s => s.IsPort && s.Get(report.Settings) is int port && port == address.Port).ToList();
        var names = owners.Count == 0 ? "a listener" : string.Join(" and ", owners.Select(report.Origin));
        var change = owners.Count == 0 ? "another port" : $"another port with {string.Join(" or ", owners.Select(s => "--" + s.Flags[0].Name))}";
        return $"port {address.Port} ({names}) is in use on {address.Host}; stop what listens there, or give {change}.";
    }

    private static async Task<int> FailAsync(TextWriter error, List<string> errors)
    {
        await error.WriteLineAsync("kedge: cannot start:");
        foreach (var message in errors.Distinct(StringComparer.Ordinal))
        {
            await error.WriteLineAsync("  - " + message);
        }

        await error.WriteLineAsync("Run 'kedge --help' for the flags.");
        return 2;
    }
}
