namespace Kedge.Client.Http;

/// <summary>
/// What the handler needs for one target (host, port, scheme), computed once and cached by <see cref="KedgeClient"/>:
/// the route, the authority kedge routes by, and the start of the URI requests are sent with.
/// </summary>
internal sealed class KedgeTarget
{
    /// <summary>The answer for targets that are not kedge destinations.</summary>
    public static readonly KedgeTarget NotKedgeDestination = new(null, string.Empty, string.Empty);

    public KedgeTarget(KedgeRoute? route, string authority, string requestPrefix)
    {
        Route = route;
        Authority = authority;
        RequestPrefix = requestPrefix;
    }

    public KedgeRoute? Route { get; }

    /// <summary>The target's authority as kedge sees it in Host / :authority.</summary>
    public string Authority { get; }

    /// <summary><c>http://kedge-host:port</c>: the scheme is http even for a TLS kedge (see <see cref="KedgeConnectionFactory"/>).</summary>
    public string RequestPrefix { get; }
}
