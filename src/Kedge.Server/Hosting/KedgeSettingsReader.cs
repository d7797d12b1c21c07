using Kedge.GoCompat;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Hosting.GoFlags;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Hosting;

/// <summary>
/// Merges kedge's start-up settings from every source with one rule: a flag given on the command line, else an
/// environment variable (<c>Kedge__Server__HttpPort</c>), else the native file (<c>Kedge:Server:HttpPort</c>), else the
/// default. Go director/backendpool JSON carries routing only, never a setting.
/// </summary>
internal static class KedgeSettingsReader
{
    /// <summary>Keys that look like settings but are not, with the fix.</summary>
    private static readonly Dictionary<string, string> NotSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Kedge:Server:DirectorConfig"] = $"Go director JSON is given with --{KedgeFlags.DirectorConfig}; in a native file put the routes under \"Kedge\" (convert with --print-config).",
        ["Kedge:Server:DirectorConfigPath"] = $"a Go director file is given with --{KedgeFlags.DirectorConfigPath}; in a native file put the routes under \"Kedge\" (convert with --print-config).",
        ["Kedge:Server:BackendPoolConfig"] = $"Go backendpool JSON is given with --{KedgeFlags.BackendPoolConfig}; in a native file put the backends under \"Kedge\" (convert with --print-config).",
        ["Kedge:Server:BackendPoolConfigPath"] = $"a Go backendpool file is given with --{KedgeFlags.BackendPoolConfigPath}; in a native file put the backends under \"Kedge\" (convert with --print-config).",
        ["Kedge:Server:Auth"] = "the authorization settings are their own section: move them to Kedge:Auth.",
    };

    /// <summary>Reads the settings; errors (unknown keys, values that do not bind) are added to <paramref name="errors"/>.</summary>
    /// <param name="parsed">The command line.</param>
    /// <param name="nativeFile">The native file's configuration, or null.</param>
    /// <param name="nativeFileName">The native file's path, for messages.</param>
    /// <param name="environment">The environment's configuration (keys <c>Kedge:Server:…</c> from <c>Kedge__Server__…</c>).</param>
    /// <param name="errors">Where errors go.</param>
    public static KedgeSettingsReport Read(GoFlagParseResult parsed, IConfiguration? nativeFile, string? nativeFileName, IConfiguration environment, List<string> errors)
    {
        var file = nativeFile is null ? null : SettingsOnly(nativeFile, nativeFileName + ": ", errors);
        var env = SettingsOnly(environment, "environment: ", errors);
        var before = errors.Count;
        if (file is not null)
        {
            Bind(file, nativeFileName + ": ", errors);
        }

        Bind(env, "environment (Kedge__…): ", errors);
        var merged = errors.Count == before ? Bind(Merge(file, env), string.Empty, errors) : new KedgeSettings();
        var winners = new Dictionary<KedgeSetting, (KedgeSettingSource, string?)>();
        foreach (var setting in KedgeSettingCatalog.All)
        {
            winners[setting] = setting.ApplyFlags(merged, parsed) ? (KedgeSettingSource.CommandLine, (string?)setting.Flags.First(f => parsed.IsSet(f.Name)).Name)
                : env.GetSection(setting.Path).Exists() ? (KedgeSettingSource.Environment, null)
                : file?.GetSection(setting.Path).Exists() == true ? (KedgeSettingSource.NativeFile, null)
                : (KedgeSettingSource.Default, null);
        }

        return new KedgeSettingsReport(merged, winners, nativeFileName);
    }

    /// <summary>
    /// The file's settings with every setting the environment gives taken whole from the environment. Layering the two
    /// configurations would merge lists index by index: a file's <c>TlsClientCaFiles</c> <c>[a, b]</c> under
    /// <c>Kedge__Server__TlsClientCaFiles__0=c</c> would trust <c>[c, b]</c>, while every report says the environment won.
    /// </summary>
    private static IConfigurationRoot Merge(IConfigurationRoot? file, IConfigurationRoot env)
    {
        static bool Under(string key, string path) => key.Equals(path, StringComparison.OrdinalIgnoreCase) || key.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase);

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in file?.AsEnumerable() ?? [])
        {
            values[key] = value;
        }

        foreach (var setting in KedgeSettingCatalog.All.Where(s => env.GetSection(s.Path).Exists()))
        {
            foreach (var key in values.Keys.Where(k => Under(k, setting.Path)).ToList())
            {
                values.Remove(key);
            }

            foreach (var (key, value) in env.GetSection(setting.Path).AsEnumerable())
            {
                values[key] = value;
            }
        }

        // Environment keys that are no setting stay, so that binding reports them as unknown.
        foreach (var (key, value) in env.AsEnumerable().Where(kv => !KedgeSettingCatalog.All.Any(s => Under(kv.Key, s.Path))))
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>The settings sections of a configuration, without the keys that are not settings (each reported).</summary>
    private static IConfigurationRoot SettingsOnly(IConfiguration configuration, string where, List<string> errors)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in KedgeSettingCatalog.Sections)
        {
            foreach (var (key, value) in configuration.GetSection("Kedge:" + section).AsEnumerable())
            {
                var notSetting = NotSettings.Keys.FirstOrDefault(k => key.Equals(k, StringComparison.OrdinalIgnoreCase) || key.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase));
                if (notSetting is not null)
                {
                    if (value is not null)
                    {
                        errors.Add($"{where}{key}: is not a setting; {NotSettings[notSetting]}");
                    }

                    continue;
                }

                values[key] = value;
            }
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static KedgeSettings Bind(IConfiguration configuration, string where, List<string> errors)
    {
        var settings = new KedgeSettings();
        Bind(configuration, "Server", settings.Server, where, errors);
        Bind(configuration, "Auth", settings.Server.Auth, where, errors);
        Bind(configuration, "Kubernetes", settings.Kubernetes, where, errors);
        Bind(configuration, "Discovery", settings.Discovery, where, errors);
        return settings;
    }

    private static void Bind(IConfiguration configuration, string name, object target, string where, List<string> errors)
    {
        var section = configuration.GetSection("Kedge:" + name);
        if (!section.Exists())
        {
            return;
        }

        try
        {
            section.Bind(target, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // The binder's own message names the key and the value ("... value 'Apend' at 'Kedge:Server:ForwardedHeaders'
            // to type ..."); the innermost one only says what was wrong with the value.
            var inner = ex;
            while (inner.InnerException is not null)
            {
                inner = inner.InnerException;
            }

            errors.Add(ex.Message.Contains("Kedge:" + name + ":", StringComparison.OrdinalIgnoreCase) && !ReferenceEquals(inner, ex)
                ? $"{where}Kedge:{name}: {ex.Message} {inner.Message}"
                : $"{where}Kedge:{name}: {inner.Message}");
        }
    }
}
