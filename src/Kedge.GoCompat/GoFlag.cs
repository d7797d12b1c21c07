namespace Kedge.GoCompat;

/// <summary>
/// The definition of one pflag-style flag: its name (without dashes), kind, default and help. Create flags with the
/// factory methods, which keep the default's type in line with the kind.
/// </summary>
public sealed class GoFlag
{
    private GoFlag(string name, GoFlagKind kind, object defaultValue, string help)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.StartsWith('-') || name.Contains('=', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Flag name \"{name}\" must not start with '-' or contain '='.", nameof(name));
        }

        Name = name;
        Kind = kind;
        DefaultValue = defaultValue;
        Help = help;
    }

    /// <summary>The name, used as <c>--name</c>.</summary>
    public string Name { get; }

    /// <summary>The value type.</summary>
    public GoFlagKind Kind { get; }

    /// <summary>
    /// The value when the flag is not given: a <see cref="string"/>, <see cref="int"/>, <see cref="bool"/>,
    /// <see cref="TimeSpan"/> or <see cref="IReadOnlyList{T}"/> of strings, after <see cref="Kind"/>.
    /// </summary>
    internal object DefaultValue { get; }

    /// <summary>The help text.</summary>
    public string Help { get; }

    /// <summary>For string flags: the accepted values (compared case-insensitively); null: any value.</summary>
    internal IReadOnlyList<string>? AllowedValues { get; private init; }

    /// <summary>For int flags: the smallest accepted value.</summary>
    internal int MinValue { get; private init; } = int.MinValue;

    /// <summary>For int flags: the largest accepted value.</summary>
    internal int MaxValue { get; private init; } = int.MaxValue;

    /// <summary>The default as Go prints it in usage: <c>"0.0.0.0"</c>, <c>8443</c>, <c>10s</c>, <c>[a,b]</c>.</summary>
    public string DefaultText => DefaultValue switch
    {
        string text => $"\"{text}\"",
        bool value => value ? "true" : "false",
        TimeSpan duration => GoDuration.Format(duration),
        IReadOnlyList<string> list => $"[{string.Join(',', list)}]",
        int number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => DefaultValue.ToString() ?? string.Empty,
    };

    /// <summary>A string flag, optionally limited to <paramref name="allowedValues"/> (case-insensitive).</summary>
    public static GoFlag String(string name, string defaultValue, string help, IReadOnlyList<string>? allowedValues = null) =>
        new(name, GoFlagKind.String, defaultValue, help) { AllowedValues = allowedValues };

    /// <summary>An int flag, limited to <paramref name="minValue"/>..<paramref name="maxValue"/>.</summary>
    public static GoFlag Int(string name, int defaultValue, string help, int minValue = int.MinValue, int maxValue = int.MaxValue) =>
        new(name, GoFlagKind.Int, defaultValue, help) { MinValue = minValue, MaxValue = maxValue };

    /// <summary>An int flag holding a TCP port (0 to 65535).</summary>
    public static GoFlag Port(string name, int defaultValue, string help) => Int(name, defaultValue, help, 0, 65535);

    /// <summary>A bool flag.</summary>
    public static GoFlag Bool(string name, bool defaultValue, string help) => new(name, GoFlagKind.Bool, defaultValue, help);

    /// <summary>A duration flag.</summary>
    public static GoFlag Duration(string name, TimeSpan defaultValue, string help) => new(name, GoFlagKind.Duration, defaultValue, help);

    /// <summary>A string slice flag; null means an empty default.</summary>
    public static GoFlag StringSlice(string name, IReadOnlyList<string>? defaultValue, string help) =>
        new(name, GoFlagKind.StringSlice, defaultValue ?? [], help);
}
