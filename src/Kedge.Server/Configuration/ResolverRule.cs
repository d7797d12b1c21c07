namespace Kedge.Server.Configuration;

/// <summary>A backend has exactly one resolver (Go kedge's proto oneof); the native validator and the Go reader share it.</summary>
internal static class ResolverRule
{
    /// <summary>
    /// Checks the resolvers set on a backend; on a violation gives the problem and its fix.
    /// </summary>
    /// <param name="described">How the backend is named in the message, for example <c>backend "web"</c>.</param>
    /// <param name="set">The resolvers that are set, as the source spells them.</param>
    /// <param name="choices">Every resolver, as the source spells them, for the fix.</param>
    /// <param name="problem">What is wrong (empty when nothing is).</param>
    /// <param name="fix">How to fix it (empty when nothing is wrong).</param>
    public static bool IsViolated(string described, IReadOnlyList<string> set, IReadOnlyList<string> choices, out string problem, out string fix)
    {
        var oneOf = choices.Count == 1 ? choices[0] : $"{string.Join(", ", choices.Take(choices.Count - 1))} or {choices[^1]}";
        (problem, fix) = set.Count switch
        {
            1 => (string.Empty, string.Empty),
            0 => ($"{described} has no resolver", $"Add exactly one of {oneOf}"),
            _ => ($"{described} has {set.Count} resolvers ({string.Join(", ", set)})", "Keep exactly one: the resolver is a proto oneof, and Go kedge would keep an arbitrary one"),
        };
        return set.Count != 1;
    }
}
