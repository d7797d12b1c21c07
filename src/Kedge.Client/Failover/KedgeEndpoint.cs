namespace Kedge.Client.Failover;

/// <summary>One kedge of a route, as requests are sent to it.</summary>
internal sealed class KedgeEndpoint
{
    public KedgeEndpoint(Uri url, string requestPrefix, int priority)
    {
        Url = url;
        RequestPrefix = requestPrefix;
        Priority = priority;
        Authority = url.Authority;
    }

    /// <summary>The kedge's URL (scheme, host, port).</summary>
    public Uri Url { get; }

    /// <summary><c>http://kedge-host:port</c>: the scheme is http even for a TLS kedge (the connection factory does the TLS).</summary>
    public string RequestPrefix { get; }

    /// <summary>The position in the route's list, 0 for the first choice.</summary>
    public int Priority { get; }

    /// <summary>The URL's authority: the ejection key and the <c>kedge</c> tag of the failover metrics.</summary>
    public string Authority { get; }

    /// <summary>The URI to send <paramref name="target"/>'s request with: this kedge, the target's path and query.</summary>
    public Uri CreateRequestUri(Uri target) => new(RequestPrefix + target.PathAndQuery);
}
