using System.Globalization;
using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

/// <summary>
/// Maps a target (host and optional port) to the kedge that serves it, or says that the target is not a kedge destination.
/// </summary>
/// <remarks>
/// Create mappers with the factory methods (<see cref="Single(Uri, KedgeTokenSource?, KedgeTokenSource?)"/>, <see cref="Suffix"/>, <see cref="Direct"/>,
/// <see cref="Regex"/>, <see cref="FirstMatch"/>) or derive from this class. Mappers are immutable and thread-safe.
/// Host names are compared case-insensitively.
/// </remarks>
public abstract class KedgeMapper
{
    /// <summary>Creates a mapper.</summary>
    /// <param name="description">A short description used in error messages, for example <c>suffix mapper '*.kedge'</c>.</param>
    protected KedgeMapper(string description)
    {
        ArgumentException.ThrowIfNullOrEmpty(description);
        Description = description;
    }

    /// <summary>A short description of this mapper for error messages and logs.</summary>
    public string Description { get; }

    /// <summary>Maps a target to its kedge route.</summary>
    /// <param name="host">The target's host name, without brackets or port, for example <c>orders.shop.svc.cluster-b.kedge</c>.</param>
    /// <param name="port">The target's port when the caller gave one explicitly; <see langword="null"/> when it did not.</param>
    /// <returns>The route, or <see langword="null"/> when the target is not a kedge destination (the caller then sends it directly).</returns>
    /// <exception cref="KedgeMappingException">The target is an IP literal: kedge routes by name.</exception>
    public KedgeRoute? Map(string host, int? port)
    {
        CheckTarget(host, port);
        return MapCore(host, port);
    }

    /// <summary>
    /// Maps a target and names the rule that matched, for traces: this mapper's <see cref="Description"/>, the matching
    /// mapper's for a first-match mapper, the matching key's for a direct mapper.
    /// </summary>
    internal virtual KedgeRoute? Map(string host, int? port, out string rule)
    {
        rule = Description;
        return Map(host, port);
    }

    /// <summary>The token sources this mapper's routes send (for metrics); none for a mapper derived outside Kedge.Client.</summary>
    internal virtual IEnumerable<KedgeTokenSource> TokenSources => [];

    internal static IEnumerable<KedgeTokenSource> RouteTokenSources(KedgeRoute route)
        => new[] { route.ProxyAuth, route.BackendAuth }.OfType<KedgeTokenSource>();

    /// <summary>Checks a target before any mapping: a host name (not an IP literal) and a valid port.</summary>
    private protected static void CheckTarget(string host, int? port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The port must be between 0 and 65535.");
        }

        if (IsIpLiteral(host))
        {
            throw new KedgeMappingException(
                $"kedge requires a host name to route by, but was given the IP address {FormatTarget(host, port)}. " +
                "Call the service by its DNS name, for example 'orders.shop.svc.cluster-b.kedge'.");
        }
    }

    /// <summary>Maps a target that is known not to be an IP literal.</summary>
    /// <param name="host">The target's host name.</param>
    /// <param name="port">The explicit port, or <see langword="null"/>.</param>
    /// <returns>The route, or <see langword="null"/> when the target is not a kedge destination.</returns>
    protected abstract KedgeRoute? MapCore(string host, int? port);

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>Sends every target to one kedge.</summary>
    /// <param name="kedgeUrl">The kedge's URL, for example <c>https://kedge.cluster-b.example.com</c>.</param>
    /// <param name="proxyAuth">The token source for <c>Proxy-Authorization</c>, or <see langword="null"/>.</param>
    /// <param name="backendAuth">The token source for <c>Authorization</c>, or <see langword="null"/>.</param>
    public static KedgeMapper Single(Uri kedgeUrl, KedgeTokenSource? proxyAuth = null, KedgeTokenSource? backendAuth = null)
        => new SingleMapper(new KedgeRoute(kedgeUrl) { ProxyAuth = proxyAuth, BackendAuth = backendAuth });

    /// <summary>Sends every target along one route, for example a route with <see cref="KedgeRoute.FallbackKedgeUrls"/>.</summary>
    /// <param name="route">The route: its kedges and credentials.</param>
    public static KedgeMapper Single(KedgeRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return new SingleMapper(route);
    }

    /// <summary>
    /// Maps by host-name suffix, as Go kedge's suffix mapper: the labels the pattern's <c>*</c>s capture, compared from the
    /// right, build the kedge host. Pattern <c>*.kedge</c> with suffix <c>.kedge.example.com</c> maps
    /// <c>orders.shop.svc.us1.kedge</c> to <c>https://us1.kedge.example.com</c>. Extra leading labels are ignored; the port is ignored.
    /// </summary>
    /// <param name="pattern">The pattern; must start with <c>*.</c>, for example <c>*.*.clusters.local</c>.</param>
    /// <param name="kedgeSuffix">The suffix appended to the captured labels; must start with a dot, for example <c>.example.com</c>.</param>
    /// <param name="scheme"><c>https</c> (the default) or <c>http</c>.</param>
    /// <param name="proxyAuth">The token source for <c>Proxy-Authorization</c>, or <see langword="null"/>.</param>
    /// <param name="backendAuth">The token source for <c>Authorization</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The pattern, suffix or scheme is malformed; the message says how to fix it.</exception>
    public static KedgeMapper Suffix(string pattern, string kedgeSuffix, string scheme = "https", KedgeTokenSource? proxyAuth = null, KedgeTokenSource? backendAuth = null)
        => new SuffixMapper(pattern, kedgeSuffix, scheme, proxyAuth, backendAuth);

    /// <summary>
    /// Maps exact targets: a key <c>host</c> matches the host on any port, a key <c>host:port</c> only that port
    /// (and wins over a plain <c>host</c> key).
    /// </summary>
    /// <param name="routes">The keys and their routes.</param>
    /// <exception cref="ArgumentException">A key is malformed or given twice.</exception>
    public static KedgeMapper Direct(IEnumerable<KeyValuePair<string, KedgeRoute>> routes)
        => new DirectMapper(routes);

    /// <summary>
    /// Maps by regular expression over <c>host</c> (or <c>host:port</c> when the caller gave a port): named groups are
    /// substituted into the URL template as <c>${name}</c>. Go's <c>(?P&lt;name&gt;…)</c> syntax is accepted. Matching uses a
    /// non-backtracking engine, so no pattern can take exponential time.
    /// </summary>
    /// <param name="pattern">The pattern, for example <c>^(?&lt;svc&gt;[a-z0-9-]+)\.(?&lt;cluster&gt;[a-z0-9-]+)\.internal(:[0-9]+)?$</c>.</param>
    /// <param name="urlTemplate">The kedge URL template, for example <c>https://${cluster}.kedge.example.com</c>.</param>
    /// <param name="proxyAuth">The token source for <c>Proxy-Authorization</c>, or <see langword="null"/>.</param>
    /// <param name="backendAuth">The token source for <c>Authorization</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The pattern does not compile, or the template names a group the pattern lacks.</exception>
    public static KedgeMapper Regex(string pattern, string urlTemplate, KedgeTokenSource? proxyAuth = null, KedgeTokenSource? backendAuth = null)
        => new RegexMapper(pattern, urlTemplate, proxyAuth, backendAuth);

    /// <summary>Tries the mappers in order; the first that maps the target wins, and the first error aborts.</summary>
    /// <param name="mappers">The mappers, in order.</param>
    public static KedgeMapper FirstMatch(IEnumerable<KedgeMapper> mappers)
        => new FirstMatchMapper(mappers);

    internal static string FormatTarget(string host, int? port)
    {
        var shown = host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;
        return port is { } p ? shown + ":" + p.ToString(CultureInfo.InvariantCulture) : shown;
    }

    internal static bool IsIpLiteral(string host)
    {
        if (host.Contains(':', StringComparison.Ordinal) || host.StartsWith('['))
        {
            return true; // IPv6 (DNS names never contain ':')
        }

        // As browsers do: a host whose last label is numeric is an IPv4 address (1.2.3.4, but also 0x7f.1 or 2130706433).
        var lastDot = host.TrimEnd('.').LastIndexOf('.');
        var last = host.AsSpan(lastDot + 1).TrimEnd('.');
        if (last.Length == 0)
        {
            return false;
        }

        if (last.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var c in last)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
