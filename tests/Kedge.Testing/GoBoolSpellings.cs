namespace Kedge.Testing;

/// <summary>
/// Every spelling Go's strconv.ParseBool accepts, as theory data (<c>[MemberData(nameof(GoBoolSpellings.All),
/// MemberType = typeof(GoBoolSpellings))]</c>), so the parser, kedge and winch are tested against the same list.
/// </summary>
public static class GoBoolSpellings
{
    private static readonly string[] TrueSpellings = ["1", "t", "T", "TRUE", "true", "True"];
    private static readonly string[] FalseSpellings = ["0", "f", "F", "FALSE", "false", "False"];

    /// <summary>Each spelling with the value Go reads: (string spelling, bool value).</summary>
    public static IEnumerable<object[]> All =>
        TrueSpellings.Select(s => new object[] { s, true }).Concat(FalseSpellings.Select(s => new object[] { s, false }));

    /// <summary>Each spelling of true: (string spelling).</summary>
    public static IEnumerable<object[]> True => TrueSpellings.Select(s => new object[] { s });

    /// <summary>Each spelling of false: (string spelling).</summary>
    public static IEnumerable<object[]> False => FalseSpellings.Select(s => new object[] { s });
}
