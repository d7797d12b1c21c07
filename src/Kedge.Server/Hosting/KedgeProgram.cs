using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Kedge.Server.Hosting.GoFlags;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Hosting;

/// <summary>
/// The <c>kedge</c> command line: Go kedge's flags (drop-in), plus <c>--config &lt;file&gt;</c> for the native
/// configuration and <c>--print-config</c> to print the effective configuration in the native format.
/// </summary>
public static class KedgeProgram
{
    internal const string ConfigFlag = "config";
    internal const string PrintConfigFlag = "print_config";

    internal static readonly IReadOnlyList<GoFlag> Flags =
    [
        .. KedgeFlags.All,
        GoFlag.String(ConfigFlag, string.Empty, "A JSON file with a native 'Kedge' section (routes, backends, adhoc rules); watched for changes. Use it instead of the two Go config flags."),
        GoFlag.Bool(PrintConfigFlag, false, "Print the effective routing configuration in the native format (from the Go files or --config) and exit."),
    ];

    /// <summary>Runs kedge until it is stopped; returns the process exit code (0 after a clean shutdown, 2 for bad input).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;

        // --print-config and --config-style dashes are accepted as well as Go's underscores.
        var normalized = args.Select(a => a.StartsWith("--print-config", StringComparison.Ordinal) ? "--print_config" + a["--print-config".Length..] : a).ToArray();
        var parsed = GoFlagParser.Parse(Flags, normalized);
        if (parsed.HelpRequested)
        {
            await output.WriteLineAsync("Usage: kedge [flags]\n\nFlags:\n" + GoFlagParser.FormatUsage(Flags));
            return 0;
        }

        var errors = new List<string>(parsed.Errors);
        if (!parsed.Succeeded)
        {
            return await FailAsync(error, errors);
        }

        var source = KedgeConfigSource.FromFlags(parsed, errors);
        var settings = ReadSettings(parsed, source?.ReadSection<KedgeServerSettings>("Server", errors));
        settings.Auth = ReadAuth(parsed, source?.ReadSection<KedgeAuthSettings>("Auth", errors));
        if (!parsed.GetBool(PrintConfigFlag))
        {
            CheckTlsFiles(settings, errors);
            KedgeAuthSettingsValidator.Validate(settings, errors);
        }

        var routing = source?.Load(settings, errors);
        var (kubernetes, discovery) = KubernetesSettingsReader.Read(parsed, source, errors);
        if (!parsed.GetBool(PrintConfigFlag) && errors.Count == 0)
        {
            KubernetesSettingsReader.CheckAccess(kubernetes, discovery, routing, errors);
        }

        if (errors.Count > 0 || source is null || routing is null)
        {
            return await FailAsync(error, errors);
        }

        if (parsed.GetBool(PrintConfigFlag))
        {
            await output.WriteLineAsync(NativeConfigWriter.ToNativeJson(routing));
            return 0;
        }

        var server = KedgeServerApp.Build(settings, builder =>
        {
            builder.Logging.SetMinimumLevel(GoLogLevel.ToLogLevel(parsed.GetString(KedgeFlags.LogLevel)));
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
            builder.Services.AddSingleton(source);
            builder.Services.AddSingleton(kubernetes);
            builder.Services.AddSingleton(discovery);
            builder.Services.AddHostedService<KedgeConfigWatcher>();
        });
        await using (server)
        {
            var applied = await server.ApplyValidatedAsync(routing, source.Origin);
            if (applied.Count > 0)
            {
                return await FailAsync(error, [.. applied]);
            }

            await server.App.RunAsync(cancellationToken);
        }

        return 0;
    }

    /// <summary>
    /// Listener settings: the native <c>Kedge:Server</c> section when there is one, else the flag defaults; flags given
    /// on the command line win over both.
    /// </summary>
    private static KedgeServerSettings ReadSettings(GoFlagParseResult parsed, KedgeServerSettings? native)
    {
        var settings = native ?? new KedgeServerSettings();
        void Use(string flag, Action apply)
        {
            if (native is null || parsed.IsSet(flag))
            {
                apply();
            }
        }

        Use(KedgeFlags.ServerBindAddress, () => settings.BindAddress = parsed.GetString(KedgeFlags.ServerBindAddress));
        Use(KedgeFlags.ServerHttpTlsPort, () => settings.HttpTlsPort = parsed.GetInt(KedgeFlags.ServerHttpTlsPort));
        Use(KedgeFlags.ServerGrpcTlsPort, () => settings.GrpcTlsPort = parsed.GetInt(KedgeFlags.ServerGrpcTlsPort));
        Use(KedgeFlags.ServerHttpPort, () => settings.HttpPort = parsed.GetInt(KedgeFlags.ServerHttpPort));
        Use(KedgeFlags.ServerMetricsPath, () => settings.MetricsPath = parsed.GetString(KedgeFlags.ServerMetricsPath));
        Use(KedgeFlags.ServerTlsCertFile, () => settings.TlsCertFile = NullIfEmpty(parsed.GetString(KedgeFlags.ServerTlsCertFile)));
        Use(KedgeFlags.ServerTlsKeyFile, () => settings.TlsKeyFile = NullIfEmpty(parsed.GetString(KedgeFlags.ServerTlsKeyFile)));
        Use(KedgeFlags.ServerTlsClientCaFiles, () => settings.TlsClientCaFiles = [.. parsed.GetStringList(KedgeFlags.ServerTlsClientCaFiles)]);
        Use(KedgeFlags.ServerTlsClientCertRequired, () => settings.TlsClientCertRequired = parsed.GetBool(KedgeFlags.ServerTlsClientCertRequired));
        Use(KedgeFlags.ServerHttpMaxReadTimeout, () => settings.HttpMaxReadTimeout = parsed.GetDuration(KedgeFlags.ServerHttpMaxReadTimeout));
        Use(KedgeFlags.ServerHttpMaxWriteTimeout, () => settings.HttpMaxWriteTimeout = parsed.GetDuration(KedgeFlags.ServerHttpMaxWriteTimeout));
        Use(KedgeFlags.LbTransportFailedTargetBackoffDuration, () => settings.FailedTargetBackoff = parsed.GetDuration(KedgeFlags.LbTransportFailedTargetBackoffDuration));
        return settings;
    }

    /// <summary>The native <c>Kedge:Auth</c> section when there is one; auth flags given on the command line win.</summary>
    private static KedgeAuthSettings ReadAuth(GoFlagParseResult parsed, KedgeAuthSettings? native)
    {
        var auth = native ?? new KedgeAuthSettings();
        void Use(string flag, Action apply)
        {
            if (parsed.IsSet(flag))
            {
                apply();
            }
        }

        Use(KedgeFlags.ServerOidcProviderUrl, () => auth.OidcProviderUrl = NullIfEmpty(parsed.GetString(KedgeFlags.ServerOidcProviderUrl)));
        Use(KedgeFlags.ServerOidcClientId, () => auth.OidcClientId = NullIfEmpty(parsed.GetString(KedgeFlags.ServerOidcClientId)));
        Use(KedgeFlags.ServerOidcPermsClaim, () => auth.OidcPermsClaim = NullIfEmpty(parsed.GetString(KedgeFlags.ServerOidcPermsClaim)));
        Use(KedgeFlags.ServerOidcWhitelistPerms, () => auth.OidcWhitelistPerms = [.. parsed.GetStringList(KedgeFlags.ServerOidcWhitelistPerms)]);
        Use(KedgeFlags.ServerOidcRequiredPerm, () => auth.OidcWhitelistPerms = [.. auth.OidcWhitelistPerms, .. parsed.GetStringList(KedgeFlags.ServerOidcRequiredPerm)]);
        Use(KedgeFlags.ServerOidcCaFile, () => auth.OidcCaFile = NullIfEmpty(parsed.GetString(KedgeFlags.ServerOidcCaFile)));
        Use(KedgeFlags.ServerEnableOidcForDebugEndpoints, () => auth.ProtectDebugEndpoints = parsed.GetBool(KedgeFlags.ServerEnableOidcForDebugEndpoints));
        Use(KedgeFlags.UnsafeBearerTokenProxyAuth, () => auth.UnsafeBearerToken = NullIfEmpty(parsed.GetString(KedgeFlags.UnsafeBearerTokenProxyAuth)));
        return auth;
    }

    private static void CheckTlsFiles(KedgeServerSettings settings, List<string> errors)
    {
        if (settings.HttpTlsPort == 0 && settings.GrpcTlsPort == 0)
        {
            return;
        }

        if (settings.TlsCertFile is null || settings.TlsKeyFile is null)
        {
            errors.Add($"--{KedgeFlags.ServerTlsCertFile} and --{KedgeFlags.ServerTlsKeyFile} are required for the TLS ports; give the PEM certificate and key (for example a Kubernetes TLS secret's tls.crt and tls.key), or disable the ports with --{KedgeFlags.ServerHttpTlsPort}=0 --{KedgeFlags.ServerGrpcTlsPort}=0.");
        }

        foreach (var (flag, file) in new[] { (KedgeFlags.ServerTlsCertFile, settings.TlsCertFile), (KedgeFlags.ServerTlsKeyFile, settings.TlsKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"--{flag}: the file '{file}' does not exist.");
            }
        }

        if (settings.TlsCertFile is not null && settings.TlsKeyFile is not null && File.Exists(settings.TlsCertFile) && File.Exists(settings.TlsKeyFile))
        {
            try
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(settings.TlsCertFile, settings.TlsKeyFile);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                errors.Add($"--{KedgeFlags.ServerTlsCertFile}/--{KedgeFlags.ServerTlsKeyFile}: the certificate and key could not be loaded as a PEM pair: {ex.Message}");
            }
        }

        foreach (var file in settings.TlsClientCaFiles)
        {
            if (!File.Exists(file))
            {
                errors.Add($"--{KedgeFlags.ServerTlsClientCaFiles}: the file '{file}' does not exist.");
                continue;
            }

            // An empty or non-PEM CA file would otherwise switch client-certificate checks off.
            var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            try
            {
                cas.ImportFromPemFile(file);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                errors.Add($"--{KedgeFlags.ServerTlsClientCaFiles}: '{file}' could not be read as PEM: {ex.Message}");
                continue;
            }

            if (cas.Count == 0)
            {
                errors.Add($"--{KedgeFlags.ServerTlsClientCaFiles}: '{file}' holds no certificate; give PEM 'BEGIN CERTIFICATE' blocks.");
            }
        }
    }

    private static async Task<int> FailAsync(TextWriter error, List<string> errors)
    {
        await error.WriteLineAsync("kedge: cannot start:");
        foreach (var message in errors)
        {
            await error.WriteLineAsync("  - " + message);
        }

        await error.WriteLineAsync("Run 'kedge --help' for the flags.");
        return 2;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
