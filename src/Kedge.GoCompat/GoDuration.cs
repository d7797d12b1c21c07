using System.Globalization;

namespace Kedge.GoCompat;

/// <summary>Go's <c>time.ParseDuration</c> and <c>Duration.String</c>, for flag values.</summary>
public static class GoDuration
{
    private const ulong MaxMagnitude = 1UL << 63;

    /// <summary>
    /// Parses <c>[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+</c> or a bare <c>0</c>, with units ns, us, µs (U+00B5 or U+03BC), ms,
    /// s, m and h, exactly as Go does (<c>1h30m</c>, <c>2.5s</c>, <c>-1.5h</c>, <c>.5s</c>). Precision below 100 ns,
    /// the resolution of <see cref="TimeSpan"/>, is truncated.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The duration.</param>
    /// <param name="error">Go's error text when parsing fails, for example <c>time: missing unit in duration "10"</c>.</param>
    public static bool TryParse(string text, out TimeSpan value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        error = null;
        var invalid = $"time: invalid duration \"{text}\"";

        var s = text.AsSpan();
        var negative = false;
        if (!s.IsEmpty && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            error = invalid;
            return false;
        }

        ulong total = 0;
        while (!s.IsEmpty)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0])))
            {
                error = invalid;
                return false;
            }

            var before = s.Length;
            if (!TryLeadingInt(ref s, out var whole))
            {
                error = invalid;
                return false;
            }

            var hasWhole = before != s.Length;
            ulong fraction = 0;
            var scale = 1.0;
            var hasFraction = false;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var fractionStart = s.Length;
                LeadingFraction(ref s, out fraction, out scale);
                hasFraction = fractionStart != s.Length;
            }

            if (!hasWhole && !hasFraction)
            {
                error = invalid;
                return false;
            }

            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] != '.' && !char.IsAsciiDigit(s[unitLength]))
            {
                unitLength++;
            }

            if (unitLength == 0)
            {
                error = $"time: missing unit in duration \"{text}\"";
                return false;
            }

            var unitText = s[..unitLength].ToString();
            s = s[unitLength..];
            var unit = UnitNanoseconds(unitText);
            if (unit == 0)
            {
                error = $"time: unknown unit \"{unitText}\" in duration \"{text}\"";
                return false;
            }

            if (whole > MaxMagnitude / unit)
            {
                error = invalid;
                return false;
            }

            whole *= unit;
            if (fraction > 0)
            {
                // As in Go: float64 keeps fractions of hours nanosecond-accurate.
                whole += (ulong)(fraction * (unit / scale));
                if (whole > MaxMagnitude)
                {
                    error = invalid;
                    return false;
                }
            }

            total += whole;
            if (total > MaxMagnitude)
            {
                error = invalid;
                return false;
            }
        }

        if (!negative && total > MaxMagnitude - 1)
        {
            error = invalid;
            return false;
        }

        var ticks = (long)(total / 100);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Formats like Go's <c>Duration.String</c>: <c>0s</c>, <c>500ms</c>, <c>1.5s</c>, <c>1m30s</c>, <c>1h0m0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var negative = value < TimeSpan.Zero;
        var ticks = value.Ticks == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(value.Ticks);
        string text;
        if (ticks == 0)
        {
            return "0s";
        }
        else if (ticks < TimeSpan.TicksPerSecond)
        {
            var nanoseconds = ticks * 100;
            text = nanoseconds switch
            {
                < 1_000 => $"{nanoseconds}ns",
                < 1_000_000 => $"{Fraction(nanoseconds, 3)}\u00b5s",
                _ => $"{Fraction(nanoseconds, 6)}ms",
            };
        }
        else
        {
            var seconds = ticks / TimeSpan.TicksPerSecond;
            var fractionDigits = (ticks % TimeSpan.TicksPerSecond).ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
            var secondsText = (seconds % 60).ToString(CultureInfo.InvariantCulture)
                + (fractionDigits.Length == 0 ? string.Empty : "." + fractionDigits) + "s";
            var minutes = seconds / 60;
            var hours = minutes / 60;
            text = minutes == 0
                ? secondsText
                : hours == 0
                    ? $"{minutes}m{secondsText}"
                    : $"{hours}h{minutes % 60}m{secondsText}";
        }

        return negative ? "-" + text : text;
    }

    private static string Fraction(ulong value, int digits)
    {
        ulong divisor = 1;
        for (var i = 0; i < digits; i++)
        {
            divisor *= 10;
        }

        var fraction = (value % divisor).ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture).TrimEnd('0');
        var whole = (value / divisor).ToString(CultureInfo.InvariantCulture);
        return fraction.Length == 0 ? whole : $"{whole}.{fraction}";
    }

    private static ulong UnitNanoseconds(string unit) => unit switch
    {
        "ns" => 1,
        "us" or "\u00b5s" or "\u03bcs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60UL * 1_000_000_000,
        "h" => 3_600UL * 1_000_000_000,
        _ => 0,
    };

    private static bool TryLeadingInt(ref ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        var i = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (value > MaxMagnitude / 10)
            {
                return false;
            }

            value = (value * 10) + (ulong)(s[i] - '0');
            if (value > MaxMagnitude)
            {
                return false;
            }
        }

        s = s[i..];
        return true;
    }

    private static void LeadingFraction(ref ReadOnlySpan<char> s, out ulong value, out double scale)
    {
        value = 0;
        scale = 1;
        var overflow = false;
        var i = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            if (overflow)
            {
                continue;
            }

            if (value > (MaxMagnitude - 1) / 10)
            {
                overflow = true;
                continue;
            }

            var next = (value * 10) + (ulong)(s[i] - '0');
            if (next > MaxMagnitude)
            {
                overflow = true;
                continue;
            }

            value = next;
            scale *= 10;
        }

        s = s[i..];
    }
}
