namespace Kedge.Server.Configuration;

/// <summary>
/// Go kedge's go-proto-validators name rule for backends (<c>^[a-z_0-9.]{2,64}$</c>), used by the native validator and the
/// Go reader alike. Checked by characters rather than a .NET regex, whose <c>$</c> would also accept a trailing newline.
/// </summary>
internal static class BackendNameRule
{
    /// <summary>The rule as Go kedge states it.</summary>
    public const string Pattern = "^[a-z_0-9.]{2,64}$";

    /// <summary>Go kedge's rule for TLS server config names: no digits.</summary>
    public const string NoDigitsPattern = "^[a-z_.]{2,64}$";

    /// <summary>How to fix a name that breaks the rule.</summary>
    public static string Fix(bool allowDigits = true)
        => $"use 2 to 64 characters from {(allowDigits ? "a-z, 0-9, '_' and '.'" : "a-z, '_' and '.'")} (no upper case, '-' or spaces)";

    /// <summary>Whether <paramref name="name"/> matches <see cref="Pattern"/> (or <see cref="NoDigitsPattern"/>).</summary>
    public static bool IsValid(string? name, bool allowDigits = true) =>
        name is { Length: >= 2 and <= 64 }
        && name.All(c => c is (>= 'a' and <= 'z') or '_' or '.' || (allowDigits && char.IsAsciiDigit(c)));
}
