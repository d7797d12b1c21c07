namespace Kedge.Winch.Configuration;

/// <summary>
/// One mapper route as Go winch's <c>winch.config.Route</c> gives it: a direct key or a regexp, the kedge URL (a
/// template for regexps), the protocol and the names of its auth sources.
/// </summary>
internal sealed record WinchRouteConfig
{
    /// <summary>The JSON path of the route, for error messages: <c>routes[2]</c>.</summary>
    public required string Path { get; init; }

    /// <summary>For a direct route: <c>host</c> or <c>host:port</c>.</summary>
    public string? DirectKey { get; init; }

    /// <summary>For a regexp route: the RE2 expression matched against <c>host[:port]</c>.</summary>
    public string? Expression { get; init; }

    /// <summary>The kedge URL; for a regexp route it may hold <c>${group}</c> references.</summary>
    public required string Url { get; init; }

    /// <summary>For a direct route: further kedges in priority order, tried when <see cref="Url"/> fails (not in Go winch).</summary>
    public IReadOnlyList<string> FallbackUrls { get; init; } = [];

    public WinchProtocol Protocol { get; init; }

    /// <summary>The auth source whose token goes in <c>Authorization</c>; null for none.</summary>
    public string? BackendAuth { get; init; }

    /// <summary>The auth source whose token goes in <c>Proxy-Authorization</c>; null for none.</summary>
    public string? ProxyAuth { get; init; }
}
