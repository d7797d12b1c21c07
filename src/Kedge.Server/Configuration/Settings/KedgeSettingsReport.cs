using System.Text;
using System.Text.Json.Nodes;

namespace Kedge.Server.Configuration.Settings;

/// <summary>The merged settings and, for each, the source that won (what <c>--print-config</c> and <c>/debug/config</c> show).</summary>
internal sealed class KedgeSettingsReport
{
    private readonly Dictionary<KedgeSetting, (KedgeSettingSource Source, string? Flag)> _winners;

    public KedgeSettingsReport(KedgeSettings settings, Dictionary<KedgeSetting, (KedgeSettingSource Source, string? Flag)> winners, string? nativeFile)
    {
        Settings = settings;
        _winners = winners;
        NativeFile = nativeFile;
    }

    public KedgeSettings Settings { get; }

    /// <summary>The native file the settings were read from, if any.</summary>
    public string? NativeFile { get; }

    /// <summary>A report for settings a host built in code (<c>KedgeServerApp.Build</c>): a value other than the default is the host's.</summary>
    public static KedgeSettingsReport FromHost(KedgeServerSettings server)
    {
        var settings = new KedgeSettings { Server = server };
        var winners = KedgeSettingCatalog.All.ToDictionary(
            s => s,
            s => (JsonNode.DeepEquals(KedgeSetting.ToJson(s.Get(settings)), KedgeSetting.ToJson(s.DefaultValue)) ? KedgeSettingSource.Default : KedgeSettingSource.Host, (string?)null));
        return new KedgeSettingsReport(settings, winners, nativeFile: null);
    }

    public KedgeSettingSource SourceOf(KedgeSetting setting) => _winners.TryGetValue(setting, out var winner) ? winner.Source : KedgeSettingSource.Default;

    /// <summary>Where the value came from, as error messages name it: the flag, the file key or the environment variable.</summary>
    public string Origin(KedgeSetting setting) => _winners.TryGetValue(setting, out var winner) ? winner.Source switch
    {
        KedgeSettingSource.CommandLine => "--" + winner.Flag,
        KedgeSettingSource.Environment => "$" + setting.EnvironmentVariable,
        KedgeSettingSource.NativeFile => $"{NativeFile}: {setting.Path}",
        KedgeSettingSource.Default when setting.Flags.Count > 0 => "--" + setting.Flags[0].Name,
        _ => setting.Path,
    } : setting.Path;

    /// <summary>Every setting with its value and winner, for <c>/debug/config</c>; secrets show as set or not.</summary>
    public JsonArray ToJson() => [.. KedgeSettingCatalog.All.Select(setting => (JsonNode)new JsonObject
    {
        ["key"] = setting.Path,
        ["flag"] = setting.Flags.Count > 0 ? "--" + setting.Flags[0].Name : null,
        ["value"] = Shown(setting) is { } shown ? KedgeSetting.ToJson(shown) : null,
        ["source"] = Describe(SourceOf(setting)),
    })];

    /// <summary>The winners as a table, for <c>--print-config</c>.</summary>
    public string ToTable()
    {
        var rows = KedgeSettingCatalog.All.Select(s => (Key: s.Path, Flag: s.Flags.Count > 0 ? "--" + s.Flags[0].Name : "—", Value: KedgeSetting.Format(Shown(s)), Source: Describe(SourceOf(s)))).ToList();
        var widths = (Key: rows.Max(r => r.Key.Length), Flag: rows.Max(r => r.Flag.Length), Value: Math.Min(40, rows.Max(r => r.Value.Length)));
        var table = new StringBuilder();
        table.Append("Settings (winner: command line > environment > native file > default):\n");
        foreach (var (key, flag, value, source) in rows)
        {
            table.Append("  ").Append(key.PadRight(widths.Key)).Append("  ").Append(flag.PadRight(widths.Flag)).Append("  ")
                .Append(value.PadRight(widths.Value)).Append("  ").Append(source).Append('\n');
        }

        return table.ToString();
    }

    /// <summary>
    /// The settings that did not come from their default, as native sections (<c>Server</c>, <c>Auth</c>, …), so that a
    /// printed configuration given back as <c>--config</c> starts kedge with the same settings. Secrets are left out
    /// (<see cref="OmittedSecrets"/>): printed configurations end up in tickets and repositories.
    /// </summary>
    public IEnumerable<KeyValuePair<string, JsonNode?>> NativeSections()
    {
        foreach (var section in KedgeSettingCatalog.All.Where(s => !s.Secret && SourceOf(s) != KedgeSettingSource.Default).GroupBy(s => s.Section))
        {
            var values = new JsonObject();
            foreach (var setting in section)
            {
                values[setting.Key] = KedgeSetting.ToJson(setting.Get(Settings));
            }

            yield return new(section.Key, values);
        }
    }

    /// <summary>The secret settings that are set, which <see cref="NativeSections"/> leaves out.</summary>
    public IEnumerable<KedgeSetting> OmittedSecrets()
        => KedgeSettingCatalog.All.Where(s => s.Secret && s.Get(Settings) is string { Length: > 0 });

    private object? Shown(KedgeSetting setting)
    {
        var value = setting.Get(Settings);
        return setting.Secret && value is string { Length: > 0 } ? "(set, not shown)" : value;
    }

    private string Describe(KedgeSettingSource source) => source switch
    {
        KedgeSettingSource.CommandLine => "command line",
        KedgeSettingSource.Environment => "environment",
        KedgeSettingSource.NativeFile => NativeFile ?? "native file",
        KedgeSettingSource.Host => "host code",
        _ => "default",
    };
}
