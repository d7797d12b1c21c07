using System.Text;

namespace Kedge.Server.Configuration.Settings;

/// <summary>
/// The README's settings tables, produced from <see cref="KedgeSettingCatalog"/> (a test fails when the README's copy
/// differs, so the docs cannot drift from the code).
/// </summary>
internal static class KedgeSettingsDocs
{
    public const string Begin = "<!-- settings tables: generated from KedgeSettingCatalog; a test compares -->";
    public const string End = "<!-- end of settings tables -->";

    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append(Begin).Append('\n');
        text.Append("| precedence | source | example |\n|---|---|---|\n");
        text.Append("| 1 (wins) | command-line flag | `--server_http_port=9090` |\n");
        text.Append("| 2 | environment variable (`Kedge__<Section>__<Key>`) | `Kedge__Server__HttpPort=9090` |\n");
        text.Append("| 3 | native file: `--config`, or `./appsettings.json` when no config flag is given | `{ \"Kedge\": { \"Server\": { \"HttpPort\": 9090 } } }` |\n");
        text.Append("| 4 | the default | |\n\n");
        text.Append("| Go flag | native key | default | re-read | what |\n|---|---|---|---|---|\n");
        foreach (var setting in KedgeSettingCatalog.All)
        {
            var flags = setting.Flags.Count == 0 ? "—" : string.Join(", ", setting.Flags.Select(f => $"`--{f.Name}`"));
            var value = KedgeSetting.Format(setting.DefaultValue);
            text.Append("| ").Append(flags)
                .Append(" | `").Append(setting.Path).Append('`')
                .Append(" | ").Append(value == "—" ? "—" : $"`{value}`")
                .Append(" | ").Append(setting.Reload ?? "at start")
                .Append(" | ").Append(setting.Help.Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal))
                .Append(" |\n");
        }

        text.Append(End).Append('\n');
        return text.ToString();
    }
}
