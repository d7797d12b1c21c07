using System.Security.Cryptography;
using Kedge.Common.Tls;
using Kedge.Server.Hosting.GoFlags;

namespace Kedge.Server.Configuration.Settings;

/// <summary>
/// Checks merged settings, listing every error with where the value came from: each setting's own rule (from its
/// definition), then the rules that tie settings together (TLS files, auth, discovery).
/// </summary>
internal static class KedgeSettingsValidator
{
    /// <summary>Everything kedge checks at start. <paramref name="requireListenerCertificate"/>: false for <c>--print-config</c>,
    /// whose output is often used where the certificate is given separately. <paramref name="checkTlsFiles"/>: false for
    /// <c>kedge check</c>, whose certificate area checks the same files line by line (key match, chain, names, expiry).</summary>
    public static void Validate(KedgeSettingsReport report, List<string> errors, bool requireListenerCertificate = true, bool checkTlsFiles = true)
    {
        ValidateValues(report, errors);
        if (checkTlsFiles)
        {
            CheckTlsFiles(report, errors, requireListenerCertificate);
        }

        var server = report.Settings.Server;
        if (requireListenerCertificate && server.HttpTlsPort == 0 && server.GrpcTlsPort == 0 && server.HttpPort == 0)
        {
            // With no endpoint at all, Kestrel falls back to its own default, plain http://localhost:5000.
            errors.Add($"--{KedgeFlags.ServerHttpTlsPort}, --{KedgeFlags.ServerGrpcTlsPort} and --{KedgeFlags.ServerHttpPort} are all 0: kedge would listen nowhere (and ASP.NET Core would open its default http://localhost:5000 instead). Enable the TLS proxy port, for example --{KedgeFlags.ServerHttpTlsPort}=8443.");
        }

        var discovery = report.Settings.Discovery;
        if (discovery.Enabled && string.IsNullOrWhiteSpace(discovery.ExternalDomainSuffix))
        {
            // Go kedge's message, then how to fix it.
            errors.Add($"required flag '{KubernetesFlags.ExternalDomainSuffix}' is not specified. Discovery is enabled: give --{KubernetesFlags.ExternalDomainSuffix} (Kedge:Discovery:ExternalDomainSuffix), for example 'cluster-a.kedge'.");
        }

        if (discovery.DebounceDelay <= TimeSpan.Zero || discovery.MaxDebounceDelay < discovery.DebounceDelay)
        {
            errors.Add("Kedge:Discovery: DebounceDelay must be positive and no longer than MaxDebounceDelay, for example 00:00:00.1 and 00:00:01.");
        }
    }

    /// <summary>The rules that need no file: each setting's own rule and the auth rules (also run by <c>KedgeServerApp.Build</c>).</summary>
    public static void ValidateValues(KedgeSettingsReport report, List<string> errors)
    {
        foreach (var setting in KedgeSettingCatalog.All)
        {
            setting.Validate(report.Settings, report.Origin(setting), errors);
        }

        KedgeAuthSettingsValidator.Validate(report.Settings.Server, errors);
    }

    private static void CheckTlsFiles(KedgeSettingsReport report, List<string> errors, bool requireListenerCertificate)
    {
        var settings = report.Settings.Server;
        string Origin(string key) => report.Origin(KedgeSettingCatalog.All.First(s => s.Section == "Server" && s.Key == key));
        var (certOrigin, keyOrigin, caOrigin) = (Origin(nameof(settings.TlsCertFile)), Origin(nameof(settings.TlsKeyFile)), Origin(nameof(settings.TlsClientCaFiles)));
        if (settings.HttpTlsPort == 0 && settings.GrpcTlsPort == 0)
        {
            return;
        }

        if (requireListenerCertificate && (settings.TlsCertFile is null || settings.TlsKeyFile is null))
        {
            errors.Add($"--{KedgeFlags.ServerTlsCertFile} and --{KedgeFlags.ServerTlsKeyFile} are required for the TLS ports (natively Kedge:Server:TlsCertFile and TlsKeyFile); give the PEM certificate and key (for example a Kubernetes TLS secret's tls.crt and tls.key), or disable the ports with --{KedgeFlags.ServerHttpTlsPort}=0 --{KedgeFlags.ServerGrpcTlsPort}=0.");
        }

        foreach (var (origin, file) in new[] { (certOrigin, settings.TlsCertFile), (keyOrigin, settings.TlsKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"{origin}: the file '{file}' does not exist.");
            }
        }

        if (settings.TlsCertFile is not null && settings.TlsKeyFile is not null && File.Exists(settings.TlsCertFile) && File.Exists(settings.TlsKeyFile))
        {
            // The loader the listener uses, so a pair that passes here is one the listener can serve (serverAuth included).
            try
            {
                TlsCertificate.ServerFromPem(File.ReadAllBytes(settings.TlsCertFile), File.ReadAllBytes(settings.TlsKeyFile), settings.TlsCertFile);
            }
            catch (CryptographicException ex)
            {
                errors.Add($"{certOrigin} / {keyOrigin}: the certificate and key could not be loaded as a PEM pair: {ex.Message}");
            }
            catch (InvalidDataException ex)
            {
                errors.Add($"{certOrigin}: {ex.Message}");
            }
        }

        foreach (var file in settings.TlsClientCaFiles)
        {
            if (!File.Exists(file))
            {
                errors.Add($"{caOrigin}: the file '{file}' does not exist.");
                continue;
            }

            // An empty or non-PEM CA file would otherwise switch client-certificate checks off; the loader refuses both.
            try
            {
                TrustBundle.Load([file]);
            }
            catch (InvalidDataException ex)
            {
                errors.Add($"{caOrigin}: {ex.Message}");
            }
        }
    }
}
