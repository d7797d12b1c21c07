using System.Numerics;
using System.Text;
using CsCheck;
using Kedge.GoCompat;
using Kedge.Testing;

namespace Kedge.Server.Tests.GoCompat;

/// <summary>
/// <see cref="GoDuration"/> against Go's <c>time.ParseDuration</c>, modelled here in exact integer arithmetic, and
/// against its own formatter (Go's <c>Duration.String</c>).
/// </summary>
public sealed class GoDurationProperties
{
    /// <summary>Go durations are int64 nanoseconds: ±2^63 ns, which is ±(2^63 / 100) ticks.</summary>
    private const long MaxTicks = long.MaxValue / 100;

    private static readonly BigInteger MaxNanoseconds = BigInteger.One << 63;

    private static readonly (string Unit, long Nanoseconds)[] Units =
    [
        ("ns", 1), ("us", 1_000), ("\u00b5s", 1_000), ("\u03bcs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ];

    private static readonly Gen<Component> AnyComponent =
        from whole in Gen.OneOf(Gen.Const(() => string.Empty), Gen.Int[0, 999].Select(i => Digits(i)), Gen.Long[0, long.MaxValue].Select(Digits), Gen.String[Gen.Char['0', '9'], 1, 24])
        from fraction in Gen.OneOf(Gen.Const(() => (string?)null), Gen.String[Gen.Char['0', '9'], 0, 12].Select(f => (string?)f))
        from unit in Gen.Int[0, Units.Length - 1]

        // A component without digits would join its unit to the previous one ("1m" + "s" is "1ms").
        select new Component(whole.Length == 0 && string.IsNullOrEmpty(fraction) ? "0" : whole, fraction, unit);

    [Fact]
    public void Parse_FormattedDuration_GivesBackTheDuration()
    {
        Gen.OneOf(Gen.Long[-MaxTicks, MaxTicks], Gen.Long[-100_000_000, 100_000_000], Gen.OneOf(-MaxTicks, MaxTicks, 0, 1, -1))
            .Sample(
                ticks =>
                {
                    var text = GoDuration.Format(TimeSpan.FromTicks(ticks));

                    Assert.True(GoDuration.TryParse(text, out var parsed, out var error), error);
                    Assert.Equal(ticks, parsed.Ticks);
                },
                iter: PropertyRuns.Iterations(20_000),
                print: ticks => $"{ticks} ticks = {GoDuration.Format(TimeSpan.FromTicks(ticks))}");
    }

    [Fact]
    public void Parse_GoSyntax_AgreesWithTheModel()
    {
        Gen.Select(Gen.OneOf(string.Empty, "-", "+"), AnyComponent.Array[1, 4]).Sample(
            (sign, components) =>
            {
                var text = sign + string.Concat(components.Select(c => c.Text));
                var expected = Model(components);

                var ok = GoDuration.TryParse(text, out var parsed, out var error);

                if ((sign != "-" && expected > MaxNanoseconds - 1) || expected > MaxNanoseconds)
                {
                    Assert.False(ok, $"{text} parsed as {parsed.Ticks} ticks");
                    Assert.Equal($"time: invalid duration \"{text}\"", error);
                    return;
                }

                Assert.True(ok, error);
                var ticks = (long)(expected / 100) * (sign == "-" ? -1 : 1);

                // Go computes a fraction with float64, so a fraction may land one nanosecond (one tick here) off.
                var tolerance = components.Any(c => c.Fraction is { Length: > 0 }) ? 1 : 0;
                Assert.InRange(parsed.Ticks, ticks - tolerance, ticks + tolerance);
            },
            iter: PropertyRuns.Iterations(20_000),
            print: t => t.Item1 + string.Concat(t.Item2.Select(c => c.Text)));
    }

    [Fact]
    public void Parse_AnyText_FailsOnlyWithGoError()
    {
        Gen.OneOf(
                Gen.String[Gen.Char["0123456789.+-nsuµμmhx "], 0, 16],
                Gen.String[0, 12],
                AnyComponent.Array[1, 3].Select(cs => string.Concat(cs.Select(c => c.Text))).Select(Mutate))
            .Sample(
                text =>
                {
                    var ok = GoDuration.TryParse(text, out var parsed, out var error);

                    // Go's grammar: a bare 0, or numbers (digits, a fraction or both) each followed by a known unit; short
                    // texts (up to 999999h) cannot overflow, so grammatical ones must parse.
                    var grammar = System.Text.RegularExpressions.Regex.Match(
                        text, "^[-+]?(?:0|(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$");
                    var grammatical = grammar.Success;
                    if (ok)
                    {
                        Assert.True(grammar.Success, $"{text} parsed although Go refuses it");
                    }
                    else if (grammatical && text.TrimStart('+', '-').Length <= 7)
                    {
                        Assert.Fail($"{text} refused although Go reads it: {error}");
                    }

                    if (ok)
                    {
                        Assert.Null(error);
                        Assert.InRange(parsed.Ticks, -MaxTicks - 1, MaxTicks);
                    }
                    else
                    {
                        Assert.NotNull(error);
                        Assert.StartsWith("time: ", error, StringComparison.Ordinal);
                        Assert.Contains($"\"{text}\"", error, StringComparison.Ordinal);
                    }
                },
                iter: PropertyRuns.Iterations(20_000));
    }

    /// <summary>
    /// Go's rule in exact arithmetic: each component is <c>whole·unit + ⌊fraction·unit / 10^digits⌋</c> nanoseconds,
    /// and the sum must fit (the caller checks).
    /// </summary>
    private static BigInteger Model(Component[] components)
    {
        BigInteger total = 0;
        foreach (var component in components)
        {
            var unit = Units[component.Unit].Nanoseconds;
            var whole = component.Whole.Length == 0 ? BigInteger.Zero : BigInteger.Parse(component.Whole, System.Globalization.CultureInfo.InvariantCulture);
            total += whole * unit;
            if (!string.IsNullOrEmpty(component.Fraction))
            {
                total += BigInteger.Parse(component.Fraction, System.Globalization.CultureInfo.InvariantCulture) * unit / BigInteger.Pow(10, component.Fraction.Length);
            }
        }

        return total;
    }

    private static string Digits(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Mutate(string text)
    {
        var builder = new StringBuilder(text);
        if (builder.Length > 0)
        {
            builder[text.Length / 2] = text.Length % 3 == 0 ? 'x' : '.';
        }

        return builder.ToString();
    }

    private sealed record Component(string Whole, string? Fraction, int Unit)
    {
        public string Text => Whole + (Fraction is null ? string.Empty : "." + Fraction) + Units[Unit].Unit;
    }
}
