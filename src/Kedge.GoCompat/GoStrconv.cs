namespace Kedge.GoCompat;

/// <summary>Go's <c>strconv.ParseBool</c> and <c>strconv.ParseInt(s, 0, 64)</c>, as pflag uses them.</summary>
internal static class GoStrconv
{
    /// <summary>Accepts 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>
    /// Parses an integer with base prefix detection: an optional sign, then <c>0x</c>/<c>0X</c> hex, <c>0o</c>/<c>0O</c>
    /// or a leading <c>0</c> octal, <c>0b</c>/<c>0B</c> binary, or decimal; <c>_</c> separators only between digits.
    /// </summary>
    public static bool TryParseInt64(string text, out long value)
    {
        value = 0;
        var s = text.AsSpan();
        var negative = false;
        if (!s.IsEmpty && (s[0] == '+' || s[0] == '-'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.IsEmpty)
        {
            return false;
        }

        var digits = s;
        var radix = 10;
        if (s[0] == '0')
        {
            if (s.Length >= 3 && char.ToLowerInvariant(s[1]) is 'b' or 'o' or 'x')
            {
                radix = char.ToLowerInvariant(s[1]) switch
                {
                    'b' => 2,
                    'o' => 8,
                    _ => 16,
                };
                digits = s[2..];
            }
            else
            {
                radix = 8;
                digits = s[1..];
            }
        }

        ulong magnitude = 0;
        var underscores = false;
        foreach (var c in digits)
        {
            if (c == '_')
            {
                underscores = true;
                continue;
            }

            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= radix)
            {
                return false;
            }

            if (magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
        }

        if (underscores && !UnderscoresOk(s))
        {
            return false;
        }

        if (negative)
        {
            if (magnitude > 1UL << 63)
            {
                return false;
            }

            value = magnitude == 1UL << 63 ? long.MinValue : -(long)magnitude;
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    /// <summary>Go's <c>underscoreOK</c>: underscores only between digits or after a base prefix.</summary>
    private static bool UnderscoresOk(ReadOnlySpan<char> s)
    {
        // What the last character was: '^' start, '0' digit or base prefix, '_' underscore, '!' anything else.
        var saw = '^';
        var i = 0;
        var hex = false;
        if (s.Length >= 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is 'b' or 'o' or 'x')
        {
            i = 2;
            saw = '0';
            hex = char.ToLowerInvariant(s[1]) == 'x';
        }

        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsAsciiDigit(c) || (hex && char.IsAsciiHexDigit(c)))
            {
                saw = '0';
                continue;
            }

            if (c == '_')
            {
                if (saw != '0')
                {
                    return false;
                }

                saw = '_';
                continue;
            }

            if (saw == '_')
            {
                return false;
            }

            saw = '!';
        }

        return saw != '_';
    }
}
