using System.Globalization;
using System.Text.Json.Nodes;
using Kedge.GoCompat;
using Kedge.Server.Hosting.GoFlags;

namespace Kedge.Server.Configuration.Settings;

/// <summary>
/// One start-up setting, defined once: its native key (<c>Kedge:&lt;Section&gt;:&lt;Key&gt;</c>, which also gives the
/// environment variable <c>Kedge__&lt;Section&gt;__&lt;Key&gt;</c>), its Go flag(s), help, default (the record's own),
/// whether it is re-read while kedge runs, and its validation rule. The flag list, <c>--help</c>, the winners report of
/// <c>--print-config</c> and <c>/debug/config</c>, and the README tables are all produced from these definitions.
/// </summary>
internal sealed class KedgeSetting
{
    private readonly Func<KedgeSettings, object?> _get;
    private readonly Action<KedgeSettings, GoFlagParseResult>? _applyFlags;
    private readonly Action<KedgeSettings, string, List<string>>? _validate;

    private KedgeSetting(string section, string key, string help, Func<KedgeSettings, object?> get, Action<KedgeSettings, GoFlagParseResult>? applyFlags, Action<KedgeSettings, string, List<string>>? validate)
    {
        Section = section;
        Key = key;
        Help = help;
        _get = get;
        _applyFlags = applyFlags;
        _validate = validate;
    }

    /// <summary>The native section under <c>Kedge</c>: Server, Auth, Kubernetes or Discovery.</summary>
    public string Section { get; }

    /// <summary>The key inside the section.</summary>
    public string Key { get; }

    /// <summary>The native configuration path, <c>Kedge:Server:HttpPort</c>.</summary>
    public string Path => $"Kedge:{Section}:{Key}";

    /// <summary>The environment variable, <c>Kedge__Server__HttpPort</c>.</summary>
    public string EnvironmentVariable => $"Kedge__{Section}__{Key}";

    /// <summary>What the setting does (without the native key or reload note, which are added from the definition).</summary>
    public string Help { get; }

    /// <summary>The Go flags that set it, the main one first (then aliases); empty for a native-only setting.</summary>
    public IReadOnlyList<GoFlag> Flags { get; private init; } = [];

    /// <summary>How the setting follows changes while kedge runs; null: read once at start.</summary>
    public string? Reload { get; private init; }

    /// <summary>Whether the value is a secret: reports show that it is set, never the value.</summary>
    public bool Secret { get; private init; }

    /// <summary>Whether the value is a listener's port (0 disables the listener).</summary>
    public bool IsPort { get; private init; }

    /// <summary>The default (a fresh record's value).</summary>
    public object? DefaultValue => _get(new KedgeSettings());

    /// <summary>The value in <paramref name="settings"/>.</summary>
    public object? Get(KedgeSettings settings) => _get(settings);

    /// <summary>Applies the flags given on the command line, if any; returns whether one was given.</summary>
    public bool ApplyFlags(KedgeSettings settings, GoFlagParseResult parsed)
    {
        if (_applyFlags is null || !Flags.Any(f => parsed.IsSet(f.Name)))
        {
            return false;
        }

        _applyFlags(settings, parsed);
        return true;
    }

    /// <summary>Checks the value; <paramref name="origin"/> names where it came from for the message.</summary>
    public void Validate(KedgeSettings settings, string origin, List<string> errors) => _validate?.Invoke(settings, origin, errors);

    /// <summary>The value as the native JSON configuration writes it.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string text => JsonValue.Create(text),
        int number => JsonValue.Create(number),
        bool flag => JsonValue.Create(flag),
        TimeSpan duration => JsonValue.Create(duration.ToString("c", CultureInfo.InvariantCulture)),
        Enum mode => JsonValue.Create(mode.ToString()),
        IEnumerable<string> list => new JsonArray([.. list.Select(item => (JsonNode?)JsonValue.Create(item))]),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>The value as the reports and the README show it (durations in Go's form).</summary>
    public static string Format(object? value) => value switch
    {
        null => "—",
        string { Length: 0 } => "\"\"",
        string text => text,
        bool flag => flag ? "true" : "false",
        TimeSpan duration => GoDuration.Format(duration),
        IEnumerable<string> list => list.Any() ? string.Join(",", list) : "[]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Defines a setting. <paramref name="flag"/> is null for a native-only setting.</summary>
    /// <typeparam name="T">string, int, bool, TimeSpan, List&lt;string&gt; or an enum (native only).</typeparam>
    public static KedgeSetting Define<T>(
        string section,
        string key,
        string? flag,
        string help,
        Func<KedgeSettings, T> get,
        Action<KedgeSettings, T> set,
        Action<T, string, List<string>>? validate = null,
        string? reload = null,
        bool secret = false,
        IReadOnlyList<(string Name, string Help)>? aliases = null,
        IReadOnlyList<string>? allowedValues = null,
        bool isPort = false)
    {
        var defaultValue = get(new KedgeSettings());
        var names = flag is null ? [] : new[] { flag }.Concat(aliases?.Select(a => a.Name) ?? []).ToArray();
        string FlagHelpOf(string text) => $"{text} [Kedge:{section}:{key}{(reload is null ? string.Empty : "; " + reload)}]";
        var flags = flag is null ? [] : new[] { (Name: flag, Help: help) }.Concat(aliases ?? [])
            .Select(f => MakeFlag(f.Name, FlagHelpOf(f.Help), defaultValue, allowedValues, isPort)).ToList();
        return new KedgeSetting(
            section,
            key,
            help,
            s => get(s),
            flag is null ? null : (s, parsed) => set(s, ReadFlags(parsed, names, defaultValue)),
            validate is null ? null : (s, origin, errors) => validate(get(s), origin, errors))
        {
            Flags = flags,
            Reload = reload,
            Secret = secret,
            IsPort = isPort,
        };
    }

    private static GoFlag MakeFlag<T>(string name, string help, T defaultValue, IReadOnlyList<string>? allowedValues, bool isPort) => defaultValue switch
    {
        int number => isPort ? GoFlag.Port(name, number, help) : GoFlag.Int(name, number, help),
        bool flag => GoFlag.Bool(name, flag, help),
        TimeSpan duration => GoFlag.Duration(name, duration, help),
        List<string> list => GoFlag.StringSlice(name, list, help),
        _ when typeof(T) == typeof(string) => GoFlag.String(name, defaultValue as string ?? string.Empty, help, allowedValues),
        _ => throw new InvalidOperationException($"Setting {name}: no Go flag kind for {typeof(T).Name}."),
    };

    /// <summary>
    /// The flags' value: for lists, every given flag's values together (an alias adds to the main flag); otherwise the
    /// main flag when given, else the alias. An empty string is "unset" when the default is unset.
    /// </summary>
    private static T ReadFlags<T>(GoFlagParseResult parsed, string[] names, T defaultValue)
    {
        var given = names.Where(parsed.IsSet).ToArray();
        object value = defaultValue switch
        {
            int => parsed.GetInt(given[0]),
            bool => parsed.GetBool(given[0]),
            TimeSpan => parsed.GetDuration(given[0]),
            List<string> => given.SelectMany(parsed.GetStringList).ToList(),
            _ => parsed.GetString(given[0]) is { Length: 0 } && defaultValue is null ? null! : parsed.GetString(given[0]),
        };
        return (T)value;
    }
}
