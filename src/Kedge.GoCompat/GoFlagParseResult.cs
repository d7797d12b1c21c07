namespace Kedge.GoCompat;

/// <summary>
/// The outcome of <see cref="GoFlagParser.Parse"/>: every error found, and typed access to each flag's value (the
/// parsed value when the flag was given with a valid value, its default otherwise).
/// </summary>
public sealed class GoFlagParseResult
{
    private readonly IReadOnlyDictionary<string, GoFlag> _flags;
    private readonly Dictionary<string, object> _values;

    internal GoFlagParseResult(IReadOnlyDictionary<string, GoFlag> flags, Dictionary<string, object> values, IReadOnlyList<string> errors, IReadOnlyList<string> warnings, bool helpRequested)
    {
        _flags = flags;
        _values = values;
        Errors = errors;
        Warnings = warnings;
        HelpRequested = helpRequested;
    }

    /// <summary>Every error, in argument order; empty when the command line is valid.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>
    /// Every warning, in argument order: forms that are read as Go reads them but are better written another way
    /// (<c>--debug_mode true</c>). The program should print them; they do not stop it.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>True when <c>--help</c>, <c>-h</c> or <c>-help</c> was given (and no flag of that name is defined).</summary>
    public bool HelpRequested { get; }

    /// <summary>True when the command line is valid.</summary>
    public bool Succeeded => Errors.Count == 0;

    /// <summary>True when the flag was given on the command line with a valid value.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    public bool IsSet(string name)
    {
        _ = Flag(name);
        return _values.ContainsKey(name);
    }

    /// <summary>The value of a string flag.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    /// <exception cref="InvalidOperationException">The flag is of another kind.</exception>
    public string GetString(string name) => (string)Get(name, GoFlagKind.String);

    /// <summary>The value of an int flag.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    /// <exception cref="InvalidOperationException">The flag is of another kind.</exception>
    public int GetInt(string name) => (int)Get(name, GoFlagKind.Int);

    /// <summary>The value of a bool flag.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    /// <exception cref="InvalidOperationException">The flag is of another kind.</exception>
    public bool GetBool(string name) => (bool)Get(name, GoFlagKind.Bool);

    /// <summary>The value of a duration flag.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    /// <exception cref="InvalidOperationException">The flag is of another kind.</exception>
    public TimeSpan GetDuration(string name) => (TimeSpan)Get(name, GoFlagKind.Duration);

    /// <summary>The values of a string slice flag.</summary>
    /// <exception cref="ArgumentException">No flag of that name is defined.</exception>
    /// <exception cref="InvalidOperationException">The flag is of another kind.</exception>
    public IReadOnlyList<string> GetStringList(string name) => (IReadOnlyList<string>)Get(name, GoFlagKind.StringSlice);

    private object Get(string name, GoFlagKind kind)
    {
        var flag = Flag(name);
        if (flag.Kind != kind)
        {
            throw new InvalidOperationException($"Flag --{name} is a {flag.Kind} flag, not a {kind} flag.");
        }

        return _values.TryGetValue(name, out var value) ? value : flag.DefaultValue;
    }

    private GoFlag Flag(string name) =>
        _flags.TryGetValue(name, out var flag) ? flag : throw new ArgumentException($"No flag --{name} is defined.", nameof(name));
}
