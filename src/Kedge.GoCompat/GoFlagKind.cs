namespace Kedge.GoCompat;

/// <summary>The value types of pflag flags that kedge uses.</summary>
public enum GoFlagKind
{
    /// <summary>Any text (pflag <c>String</c>).</summary>
    String,

    /// <summary>An integer in Go syntax: decimal, <c>0x</c> hex, <c>0o</c>/leading-zero octal, <c>0b</c> binary (pflag <c>Int</c>).</summary>
    Int,

    /// <summary><c>--flag</c>, or <c>--flag=VALUE</c> in any spelling of Go's strconv.ParseBool (pflag <c>Bool</c>).</summary>
    Bool,

    /// <summary>A Go duration such as <c>10s</c>, <c>500ms</c> or <c>1m30s</c> (pflag <c>Duration</c>).</summary>
    Duration,

    /// <summary>Comma-separated values; the flag may be repeated and the values accumulate (pflag <c>StringSlice</c>).</summary>
    StringSlice,
}
