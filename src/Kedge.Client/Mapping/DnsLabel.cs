namespace Kedge.Client.Mapping;

/// <summary>
/// The one rule for what a mapper may put into a kedge host: a single DNS label. Anything more (a dot, ':', '/', '@',
/// '#', a space) would let a target name choose another host, port, user info or path for its credentials to go to.
/// </summary>
internal static class DnsLabel
{
    private static readonly System.Buffers.SearchValues<char> Characters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    /// <summary>What messages say a label may hold.</summary>
    public const string Described = "letters, digits, '-', '_'";

    /// <summary>True when <paramref name="value"/> is one non-empty label of letters, digits, '-' and '_'.</summary>
    public static bool IsValid(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExcept(Characters);
}
