using Kedge.Client.Failover;

namespace Kedge.Client.Http;

/// <summary>
/// What the handler needs for one target (host, port, scheme), computed once and cached by <see cref="KedgeClient"/>:
/// the route, the authority kedge routes by, and the start of the URI requests are sent with.
/// </summary>
internal sealed class KedgeTarget
{
    public KedgeTarget(string host, int port, bool explicitPort, bool isHttps, KedgeRoute? route, string authority, string requestPrefix, KedgeConnectionFactory connections, string mappingRule = "", KedgeEndpoint[]? kedges = null)
    {
        Kedges = kedges ?? (route is null ? [] : [new KedgeEndpoint(route.KedgeUrl, requestPrefix, 0)]);
        MappingRule = mappingRule;
        KedgeUrl = route?.KedgeUrl.GetLeftPart(UriPartial.Authority) ?? string.Empty;
        Connections = connections;
        Host = host;
        Port = port;
        ExplicitPort = explicitPort;
        IsHttps = isHttps;
        Route = route;
        UsesTls = route?.UsesTls ?? false;
        Authority = authority;
        RequestPrefix = requestPrefix;
    }

    /// <summary>The target's host as <see cref="Uri.Host"/> gives it (lower-case).</summary>
    public string Host { get; }

    public int Port { get; }

    public bool ExplicitPort { get; }

    public bool IsHttps { get; }

    public KedgeRoute? Route { get; }

    public bool UsesTls { get; }

    /// <summary>
    /// The connections of the client configuration that mapped this target (its route's TLS name is registered there).
    /// A configuration reload brings new ones; a target with old ones is mapped again.
    /// </summary>
    public KedgeConnectionFactory Connections { get; }

    /// <summary>
    /// The rule that mapped the target (for traces and metrics), for example <c>suffix mapper '*.kedge'</c>: from the
    /// configuration, never the target.
    /// </summary>
    public string MappingRule { get; }

    /// <summary>
    /// The kedge's <c>scheme://host:port</c> (for traces only): a suffix or regexp mapper builds it from the target's labels.
    /// </summary>
    public string KedgeUrl { get; }

    /// <summary>The route's kedges in priority order (one for a route without fallbacks; none for a non-kedge target).</summary>
    public KedgeEndpoint[] Kedges { get; }

    /// <summary>The target's authority as kedge sees it in Host / :authority.</summary>
    public string Authority { get; }

    /// <summary><c>http://kedge-host:port</c>: the scheme is http even for a TLS kedge (see <see cref="KedgeConnectionFactory"/>).</summary>
    public string RequestPrefix { get; }

    /// <summary>Whether this entry answers for <paramref name="uri"/> (same host, port and port kind).</summary>
    public bool Matches(Uri uri)
        => uri.Port == Port && uri.IsDefaultPort != ExplicitPort
            && (uri.Scheme == Uri.UriSchemeHttps) == IsHttps
            && string.Equals(uri.Host, Host, StringComparison.Ordinal);

    /// <summary>The URI to send <paramref name="target"/>'s request with: this kedge, the target's path and query.</summary>
    public Uri CreateRequestUri(Uri target) => new(RequestPrefix + target.PathAndQuery);
}
