using System.Text;
using Kedge.Common.Text;

namespace Kedge.GoCompat;

/// <summary>
/// Parses a command line the way spf13/pflag (Go kedge's flag library) does, so Go kedge command lines work unchanged.
/// </summary>
/// <remarks>
/// <para>Accepted: <c>--name=value</c>; <c>--name value</c> (for non-bool flags the next argument is the value);
/// <c>--flag</c> and <c>--flag=VALUE</c> for bool flags, VALUE in any spelling of Go's strconv.ParseBool (a bare bool
/// flag never takes the next argument); Go durations; comma-separated (CSV) string slices, where repeating the flag
/// appends; <c>--</c> ends the flags. A flag given twice keeps the last value, except slices.</para>
/// <para>Errors, all collected in one pass: unknown flags (with the closest known name within edit distance 3),
/// single-dash flags (pflag reads them as shorthands, which kedge and winch have none of), a missing value, invalid
/// values, and positional arguments (neither program takes any).</para>
/// <para>pflag reads <c>--flag true</c> as <c>--flag</c> plus a positional <c>true</c> that Go kedge and winch ignore:
/// accepted the same way, with a warning naming <c>--flag=true</c>. <c>--flag false</c> reads the same way in Go, which
/// silently turns the flag on: refused, naming <c>--flag=false</c>.</para>
/// <para>One deliberate difference: where pflag would take the next argument as the value even when it is another
/// known flag (<c>--server_tls_cert_file --log_level=debug</c>), this reports a missing value instead.</para>
/// </remarks>
public static class GoFlagParser
{
    /// <summary>
    /// How bool flags are written, for a program's <c>--help</c>: the value goes after <c>=</c>, because pflag never
    /// gives a bool flag the next argument.
    /// </summary>
    public const string BoolSyntaxHelp =
        "Bool flags: --name alone means true; a value goes after '=': --name=false (also 1, t, T, TRUE, true, True, 0, f, F, FALSE, False).\n" +
        "Go reads --name false as --name (true) plus a stray argument, so it is refused; --name true is read as Go reads it, with a warning.";

    private const int MaxSuggestionDistance = 3;

    /// <summary>Parses <paramref name="args"/> against <paramref name="flags"/>.</summary>
    /// <param name="flags">The flags the program defines.</param>
    /// <param name="args">The command line as the user typed it, without the program name.</param>
    /// <param name="program">The program's name (<c>kedge</c>, <c>winch</c>), for the messages.</param>
    /// <exception cref="ArgumentException">Two flags share a name.</exception>
    public static GoFlagParseResult Parse(IReadOnlyList<GoFlag> flags, IReadOnlyList<string> args, string program)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentException.ThrowIfNullOrWhiteSpace(program);

        var byName = new Dictionary<string, GoFlag>(StringComparer.Ordinal);
        foreach (var flag in flags)
        {
            if (!byName.TryAdd(flag.Name, flag))
            {
                throw new ArgumentException($"Flag --{flag.Name} is defined more than once.", nameof(flags));
            }
        }

        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var errors = new List<string>();
        var warnings = new List<string>();
        var helpRequested = false;
        string? bareBoolFlag = null;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var previousBareBoolFlag = bareBoolFlag;
            bareBoolFlag = null;

            if (arg == "--")
            {
                // pflag: everything after "--" is positional.
                for (var j = i + 1; j < args.Count; j++)
                {
                    errors.Add(PositionalError(args[j], program));
                }

                break;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var body = arg[2..];
                if (body.StartsWith('-') || body.StartsWith('='))
                {
                    errors.Add($"bad flag syntax: {arg}. Write --name=value or --name value");
                    continue;
                }

                var equals = body.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? body : body[..equals];
                var value = equals < 0 ? null : body[(equals + 1)..];

                if (!byName.TryGetValue(name, out var flag))
                {
                    if (name == "help")
                    {
                        helpRequested = true;
                        continue;
                    }

                    errors.Add(UnknownFlagError(name, byName.Keys));

                    // Its value, if it had one, would otherwise turn into a second, misleading error.
                    if (value is null && i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                    {
                        i++;
                    }

                    continue;
                }

                if (value is null)
                {
                    if (flag.Kind == GoFlagKind.Bool)
                    {
                        value = "true";
                        bareBoolFlag = flag.Name;
                    }
                    else if (i + 1 < args.Count && !IsKnownFlag(args[i + 1], byName))
                    {
                        value = args[++i];
                    }
                    else
                    {
                        var next = i + 1 < args.Count ? $"; the next argument {args[i + 1]} is a flag" : string.Empty;
                        errors.Add($"flag --{name} needs a value{next}. Write --{name}=VALUE or --{name} VALUE");
                        continue;
                    }
                }

                SetValue(flag, value, values, errors);
                continue;
            }

            if (arg.Length > 1 && arg[0] == '-')
            {
                var body = arg[1..];
                if (body is "h" or "help")
                {
                    // pflag reads both as the shorthand h, which asks for help when no flag claims it.
                    helpRequested = true;
                    continue;
                }

                var equals = body.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? body : body[..equals];
                var known = byName.TryGetValue(name, out var flag);
                var error = $"flag {arg} has a single dash; {program} flags take two: write -{arg}";
                if (!known)
                {
                    var suggestion = Suggest(name, byName.Keys);
                    error += suggestion is null
                        ? $" (note that --{name} is not a known flag either)"
                        : $" (note that --{name} is not a known flag either; did you mean --{suggestion}?)";
                }

                errors.Add(error);
                if (known && equals < 0 && flag!.Kind != GoFlagKind.Bool && i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                {
                    i++;
                }

                continue;
            }

            if (previousBareBoolFlag is not null && GoStrconv.TryParseBool(arg, out var spelledValue))
            {
                // pflag never gives a bool flag the next argument: "--flag true" sets the flag and leaves "true" as a
                // positional argument, which Go kedge and winch ignore (Go kedge's own e2e spin-up writes it so).
                // "--flag false" reads the same way, so Go silently turns the flag on: refused rather than copied.
                var separate = $"flag --{previousBareBoolFlag} is followed by \"{arg}\" as a separate argument";
                if (spelledValue)
                {
                    warnings.Add($"{separate}: read as Go reads it (--{previousBareBoolFlag} is set to true and \"{arg}\" is ignored). Write --{previousBareBoolFlag}={arg}");
                }
                else
                {
                    errors.Add($"{separate}: a bool flag does not take the next argument, so Go would silently set --{previousBareBoolFlag} to TRUE and leave \"{arg}\" as a stray argument. Write --{previousBareBoolFlag}={arg}");
                }

                continue;
            }

            errors.Add(PositionalError(arg, program));
        }

        return new GoFlagParseResult(byName, values, errors, warnings, helpRequested);
    }

    /// <summary>
    /// Formats the flags for <c>--help</c> in pflag's layout: <c>--name type</c>, the help, and the default unless it
    /// is the zero value.
    /// </summary>
    public static string FormatUsage(IReadOnlyList<GoFlag> flags)
    {
        ArgumentNullException.ThrowIfNull(flags);

        var lines = flags.Select(flag =>
        {
            var type = flag.Kind switch
            {
                GoFlagKind.String => " string",
                GoFlagKind.Int => " int",
                GoFlagKind.Duration => " duration",
                GoFlagKind.StringSlice => " strings",
                _ => string.Empty,
            };
            var isZero = flag.DefaultValue switch
            {
                string text => text.Length == 0,
                bool value => !value,
                int number => number == 0,
                TimeSpan duration => duration == TimeSpan.Zero,
                IReadOnlyList<string> list => list.Count == 0,
                _ => false,
            };
            var help = isZero ? flag.Help : $"{flag.Help} (default {flag.DefaultText})";
            return (Left: $"      --{flag.Name}{type}", Help: help);
        }).ToList();

        var width = lines.Count == 0 ? 0 : lines.Max(line => line.Left.Length);
        var usage = new StringBuilder();
        foreach (var (left, help) in lines)
        {
            usage.Append(left.PadRight(width)).Append("   ").Append(help).Append('\n');
        }

        return usage.ToString();
    }

    /// <summary>The closest of <paramref name="candidates"/> within edit distance 3, or null.</summary>
    internal static string? Suggest(string name, IEnumerable<string> candidates) => Suggestions.Closest(name, candidates, MaxSuggestionDistance);

    private static void SetValue(GoFlag flag, string value, Dictionary<string, object> values, List<string> errors)
    {
        var invalid = $"invalid value \"{value}\" for flag --{flag.Name}";
        switch (flag.Kind)
        {
            case GoFlagKind.String:
                if (flag.AllowedValues is { } allowed && !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
                {
                    errors.Add($"{invalid}: use one of {string.Join(", ", allowed)}");
                    return;
                }

                values[flag.Name] = value;
                return;

            case GoFlagKind.Int:
                if (!GoStrconv.TryParseInt64(value, out var number))
                {
                    errors.Add($"{invalid}: not an integer. Write a whole number such as 8080");
                    return;
                }

                if (number < flag.MinValue || number > flag.MaxValue)
                {
                    errors.Add($"{invalid}: out of range. Use {flag.MinValue} to {flag.MaxValue}");
                    return;
                }

                values[flag.Name] = (int)number;
                return;

            case GoFlagKind.Bool:
                if (!GoStrconv.TryParseBool(value, out var boolean))
                {
                    errors.Add($"{invalid}: use true or false (or write --{flag.Name} alone for true)");
                    return;
                }

                values[flag.Name] = boolean;
                return;

            case GoFlagKind.Duration:
                if (!GoDuration.TryParse(value, out var duration, out var durationError))
                {
                    errors.Add($"{invalid}: {durationError}. Use a Go duration such as 10s, 500ms, 1m30s or 2h (units ns, us, ms, s, m, h)");
                    return;
                }

                values[flag.Name] = duration;
                return;

            case GoFlagKind.StringSlice:
                if (!TryReadCsv(value, out var items, out var csvError))
                {
                    errors.Add($"{invalid}: {csvError}. Separate values with commas and quote a value that contains a comma: \"a,b\",c");
                    return;
                }

                // pflag: the first use replaces the default, later uses append.
                if (values.TryGetValue(flag.Name, out var existing))
                {
                    ((List<string>)existing).AddRange(items);
                }
                else
                {
                    values[flag.Name] = items;
                }

                return;

            default:
                throw new InvalidOperationException($"Unknown flag kind {flag.Kind}.");
        }
    }

    /// <summary>
    /// pflag reads slice values with Go's encoding/csv (one record): commas separate, a field may be quoted with
    /// <c>"</c> (<c>""</c> inside quotes is a quote), and the empty string is an empty list.
    /// </summary>
    private static bool TryReadCsv(string value, out List<string> items, out string? error)
    {
        items = [];
        error = null;
        if (value.Length == 0)
        {
            return true;
        }

        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < value.Length && value[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= value.Length)
                    {
                        error = "extraneous or missing \" in quoted-field";
                        return false;
                    }

                    if (value[i] == '"')
                    {
                        if (i + 1 < value.Length && value[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(value[i++]);
                }

                if (i < value.Length && value[i] != ',')
                {
                    error = "extraneous or missing \" in quoted-field";
                    return false;
                }
            }
            else
            {
                while (i < value.Length && value[i] != ',')
                {
                    if (value[i] == '"')
                    {
                        error = "bare \" in non-quoted-field";
                        return false;
                    }

                    if (value[i] is '\n' or '\r')
                    {
                        error = "line breaks are not allowed";
                        return false;
                    }

                    field.Append(value[i++]);
                }
            }

            items.Add(field.ToString());
            if (i >= value.Length)
            {
                return true;
            }

            i++; // the comma
        }
    }

    private static bool IsKnownFlag(string arg, Dictionary<string, GoFlag> byName)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        var body = arg[2..];
        var equals = body.IndexOf('=', StringComparison.Ordinal);
        return byName.ContainsKey(equals < 0 ? body : body[..equals]);
    }

    private static string UnknownFlagError(string name, IEnumerable<string> known)
    {
        var suggestion = Suggest(name, known);
        return suggestion is null
            ? $"unknown flag --{name}. Run with --help to list the flags"
            : $"unknown flag --{name}. Did you mean --{suggestion}?";
    }

    private static string PositionalError(string arg, string program) => $"unexpected argument \"{arg}\": {program} takes only flags";
}
