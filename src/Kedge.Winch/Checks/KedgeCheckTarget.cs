namespace Kedge.Winch.Checks;

/// <summary>A kedge the mapping sends to, and what sends there (routes, probes), for the lines' messages.</summary>
/// <param name="Url">The kedge URL (scheme, host and port).</param>
/// <param name="UsedBy">Where it comes from: <c>mapper config (--server_mapper_config) routes[0]</c>, <c>--probe a.internal</c>.</param>
internal sealed record KedgeCheckTarget(Uri Url, IReadOnlyList<string> UsedBy)
{
    /// <summary>The area of its lines: <c>kedge https://kedge.example.com:443</c>.</summary>
    public string Area => "kedge " + Url.GetLeftPart(UriPartial.Authority);

    public string UsedByText => string.Join(", ", UsedBy);
}
