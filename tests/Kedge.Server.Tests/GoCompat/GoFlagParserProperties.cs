using System.Text;
using CsCheck;
using Kedge.GoCompat;
using Kedge.Testing;

namespace Kedge.Server.Tests.GoCompat;

/// <summary>
/// Generated command lines against the pflag semantics <see cref="GoFlagParser"/> documents: every flag kind in every
/// form (<c>--f=v</c>, <c>--f v</c>, bare bool, <c>--</c>), repeated flags (last wins, slices append).
/// </summary>
public sealed class GoFlagParserProperties
{
    private static readonly GoFlag[] Flags =
    [
        GoFlag.String("name", "default", "a string"),
        GoFlag.String("level", "info", "a choice", ["debug", "info", "warn"]),
        GoFlag.Int("count", 7, "an int"),
        GoFlag.Port("port", 8080, "a port"),
        GoFlag.Bool("verbose", false, "a bool"),
        GoFlag.Duration("timeout", TimeSpan.FromSeconds(10), "a duration"),
        GoFlag.StringSlice("items", ["x"], "a slice"),
    ];

    /// <summary>Text that may be anything: separators, quotes, dashes, '=', spaces, non-ASCII.</summary>
    private static readonly Gen<string> AnyText = Gen.OneOf(
        Gen.String[Gen.Char["ab=,\" -_:./\\\tµ\u00e9\u4e2d"], 0, 8],
        Gen.String[0, 12],
        Gen.OneOf("", "-", "--", "-x", "--name", "--nope", "=", "\"", "true", "--level=debug"));

    private static readonly Gen<string> ItemText = Gen.OneOf(
        Gen.String[Gen.Char["ab=,\" -_:\n\u00e9"], 0, 6],
        Gen.String[0, 8].Select(s => s.Replace("\r", string.Empty, StringComparison.Ordinal)));

    /// <summary>One assignment: the flag and how its value is written, with the value the parser must produce.</summary>
    private static readonly Gen<Assignment> AnyAssignment = Gen.OneOf(
        from value in AnyText
        from form in Gen.Int[0, 1]
        select Assignment.Of("name", value, Write("name", value, form)),
        from value in Gen.OneOf("debug", "info", "warn", "DEBUG", "Info", "wArN")
        from form in Gen.Int[0, 1]
        select Assignment.Of("level", value, Write("level", value, form)),
        from number in Gen.Int
        from text in GoIntText(number)
        from form in Gen.Int[0, 1]
        select Assignment.Of("count", number, Write("count", text, form)),
        from number in Gen.Int[0, 65535]
        from text in GoIntText(number)
        from form in Gen.Int[0, 1]
        select Assignment.Of("port", number, Write("port", text, form)),
        from value in Gen.Bool
        from text in Gen.OneOf<string>(value ? ["", "true", "True", "TRUE", "t", "T", "1"] : ["false", "False", "FALSE", "f", "F", "0"])
        select Assignment.Of("verbose", value, text.Length == 0 ? ["--verbose"] : [$"--verbose={text}"]),
        from ticks in Gen.Long[-(long.MaxValue / 100), long.MaxValue / 100]
        from form in Gen.Int[0, 1]
        let duration = TimeSpan.FromTicks(ticks)
        select Assignment.Of("timeout", duration, Write("timeout", GoDuration.Format(duration), form)),
        from items in ItemText.Array[0, 4]
        from form in Gen.Int[0, 1]
        select Assignment.Of("items", items, Write("items", FormatCsv(items), form)));

    [Fact]
    public void Parse_FormattedAssignments_GivesBackTheValues()
    {
        Gen.Select(AnyAssignment.Array[0, 8], Gen.Bool).Sample(
            (assignments, endWithDashes) =>
            {
                var args = assignments.SelectMany(a => a.Args).ToList();
                if (endWithDashes)
                {
                    args.Add("--");
                }

                var result = GoFlagParser.Parse(Flags, args, "kedge");

                Assert.True(result.Succeeded, string.Join("; ", result.Errors));
                Assert.False(result.HelpRequested);
                foreach (var flag in Flags)
                {
                    var given = assignments.Where(a => a.Flag == flag.Name).ToList();
                    Assert.Equal(given.Count > 0, result.IsSet(flag.Name));
                    var expected = given.Count == 0 ? flag.DefaultValue
                        : flag.Kind == GoFlagKind.StringSlice ? given.SelectMany(a => (string[])a.Value).ToList()
                        : given[^1].Value;
                    object actual = flag.Kind switch
                    {
                        GoFlagKind.String => result.GetString(flag.Name),
                        GoFlagKind.Int => result.GetInt(flag.Name),
                        GoFlagKind.Bool => result.GetBool(flag.Name),
                        GoFlagKind.Duration => result.GetDuration(flag.Name),
                        _ => result.GetStringList(flag.Name),
                    };
                    Assert.Equal(expected, actual);
                }
            },
            iter: PropertyRuns.Iterations(3_000),
            print: t => string.Join(' ', t.Item1.SelectMany(a => a.Args).Select(Quote)) + (t.Item2 ? " --" : string.Empty));
    }

    [Fact]
    public void Parse_AnyArguments_NeverThrowsAndEveryValueIsReadable()
    {
        var arg = Gen.OneOf(
            AnyText,
            from flag in Gen.OneOf(Flags.Select(f => f.Name).ToArray())
            from dashes in Gen.OneOf("-", "--", "---")
            from value in AnyText.Null()
            select value is null ? dashes + flag : $"{dashes}{flag}={value}");
        arg.Array[0, 10].Sample(
            args =>
            {
                var result = GoFlagParser.Parse(Flags, args, "kedge");

                Assert.Equal(result.Errors.Count == 0, result.Succeeded);
                Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e)));
                _ = result.GetString("name");
                _ = result.GetString("level");
                _ = result.GetInt("count");
                Assert.InRange(result.GetInt("port"), 0, 65535);
                _ = result.GetBool("verbose");
                _ = result.GetDuration("timeout");
                _ = result.GetStringList("items");
            },
            iter: PropertyRuns.Iterations(5_000),
            print: args => string.Join(' ', args.Select(Quote)));
    }

    [Fact]
    public void TryParseInt64_GoSyntaxOfAnyLong_GivesBackTheLong()
    {
        Gen.Long.SelectMany(n => GoIntText(n).Select(text => (Number: n, Text: text))).Sample(
            t => GoStrconv.TryParseInt64(t.Text, out var parsed) && parsed == t.Number,
            iter: PropertyRuns.Iterations(10_000),
            print: t => t.Text);
    }

    [Fact]
    public void TryParseInt64_AnyText_AgreesWithGoSyntaxModel()
    {
        var text = Gen.OneOf(
            Gen.String[Gen.Char["0123456789+-_xXoObBaAfFzZ ."], 0, 22],
            Gen.String[Gen.Char["01_"], 0, 70].Select(s => "0b" + s),
            Gen.String[0, 10]);
        text.Sample(
            s =>
            {
                var ok = GoStrconv.TryParseInt64(s, out var parsed);

                var expected = GoIntModel(s);
                Assert.Equal(expected.HasValue, ok);
                Assert.Equal(expected ?? 0, parsed);
            },
            iter: PropertyRuns.Iterations(10_000));
    }

    /// <summary>
    /// Go's <c>strconv.ParseInt(s, 0, 64)</c> as a grammar (sign, base prefix, '_' only between digits or after a
    /// prefix) and exact arithmetic; null when Go refuses the text.
    /// </summary>
    private static long? GoIntModel(string s)
    {
        var match = System.Text.RegularExpressions.Regex.Match(
            s,
            "^(?<sign>[+-]?)(?:0[xX](?<hex>(?:_?[0-9a-fA-F])+)|0[bB](?<bin>(?:_?[01])+)|0[oO](?<oct>(?:_?[0-7])+)|(?<oct>0(?:_?[0-7])*)|(?<dec>[1-9](?:_?[0-9])*))$");
        if (!match.Success)
        {
            return null;
        }

        var (digits, radix) = match.Groups["hex"].Success ? (match.Groups["hex"].Value, 16)
            : match.Groups["bin"].Success ? (match.Groups["bin"].Value, 2)
            : match.Groups["oct"].Success ? (match.Groups["oct"].Value, 8)
            : (match.Groups["dec"].Value, 10);
        var value = System.Numerics.BigInteger.Zero;
        foreach (var c in digits.Replace("_", string.Empty, StringComparison.Ordinal))
        {
            value = (value * radix) + Convert.ToInt32(c.ToString(), 16);
        }

        if (match.Groups["sign"].Value == "-")
        {
            value = -value;
        }

        return value < long.MinValue || value > long.MaxValue ? null : (long)value;
    }

    /// <summary>Go's integer syntax for <paramref name="number"/>: a base prefix, an optional sign, '_' between digits.</summary>
    private static Gen<string> GoIntText(long number) =>
        from radix in Gen.OneOf(2, 8, 10, 16)
        from prefix in Gen.OneOf(radix switch
        {
            2 => ["0b", "0B"],
            8 => ["0o", "0O", "0"],
            16 => ["0x", "0X"],
            _ => new[] { string.Empty },
        })
        from plus in Gen.Bool
        from upper in Gen.Bool
        from underscores in Gen.Int[0, 3]
        from seed in Gen.Int
        select GoInt(number, radix, prefix, plus, upper, underscores, seed);

    private static string GoInt(long number, int radix, string prefix, bool plus, bool upper, int underscores, int seed)
    {
        var magnitude = number == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(number);
        var digits = new StringBuilder();
        do
        {
            var digit = (int)(magnitude % (ulong)radix);
            digits.Insert(0, (char)(digit < 10 ? '0' + digit : (upper ? 'A' : 'a') + digit - 10));
            magnitude /= (ulong)radix;
        }
        while (magnitude > 0);

        var random = new Random(seed);
        for (var i = 0; i < underscores && digits.Length > 1; i++)
        {
            digits.Insert(random.Next(1, digits.Length), '_');
            digits.Replace("__", "_");
        }

        var sign = number < 0 ? "-" : plus ? "+" : string.Empty;
        return sign + prefix + digits;
    }

    /// <summary><c>--flag=value</c> (form 0) or <c>--flag value</c>, unless the value looks like a flag itself.</summary>
    private static string[] Write(string flag, string value, int form) =>
        form == 0 || value.StartsWith("--", StringComparison.Ordinal) ? [$"--{flag}={value}"] : [$"--{flag}", value];

    /// <summary>Go's encoding/csv writer: quote a field with a comma, quote, line break or nothing in it.</summary>
    private static string FormatCsv(string[] items) => string.Join(',', items.Select(item =>
        item.Length == 0 || item.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + item.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : item));

    private static string Quote(string arg) => "'" + arg.Replace("\n", "\\n", StringComparison.Ordinal) + "'";

    private sealed record Assignment(string Flag, object Value, string[] Args)
    {
        public static Assignment Of(string flag, object value, string[] args) => new(flag, value, args);
    }
}
