namespace Kedge.Client.Configuration;

/// <summary>One route: exactly one of <see cref="Suffix"/>, <see cref="Regex"/>, <see cref="Direct"/> or <see cref="Single"/>.</summary>
public sealed class KedgeRouteOptions
{
    /// <summary>Maps by host-name suffix (Go kedge's suffix mapper).</summary>
    public KedgeSuffixRouteOptions? Suffix { get; set; }

    /// <summary>Maps by regular expression with <c>${name}</c> substitution into a URL template.</summary>
    public KedgeRegexRouteOptions? Regex { get; set; }

    /// <summary>Maps one exact <c>host</c> or <c>host:port</c>.</summary>
    public KedgeDirectRouteOptions? Direct { get; set; }

    /// <summary>Maps everything to one kedge.</summary>
    public KedgeSingleRouteOptions? Single { get; set; }

    /// <summary>The name of the token source sent to kedge in <c>Proxy-Authorization</c>, or <see langword="null"/>.</summary>
    public string? ProxyAuth { get; set; }

    /// <summary>The name of the token source sent to the backend in <c>Authorization</c>, or <see langword="null"/>.</summary>
    public string? BackendAuth { get; set; }

    /// <summary>The name kedge's certificate is verified against; default the kedge URL's host.</summary>
    public string? TlsServerName { get; set; }
}

/// <summary>A suffix route: <c>Pattern</c> <c>*.kedge</c>, <c>KedgeSuffix</c> <c>.kedge.example.com</c>.</summary>
public sealed class KedgeSuffixRouteOptions
{
    /// <summary>The host pattern; starts with <c>*.</c>.</summary>
    public string? Pattern { get; set; }

    /// <summary>The suffix appended to the captured labels; starts with a dot.</summary>
    public string? KedgeSuffix { get; set; }

    /// <summary><c>https</c> (the default) or <c>http</c>.</summary>
    public string Scheme { get; set; } = "https";
}

/// <summary>A regexp route.</summary>
public sealed class KedgeRegexRouteOptions
{
    /// <summary>The pattern over <c>host</c> or <c>host:port</c>; named groups as <c>(?&lt;name&gt;…)</c> or <c>(?P&lt;name&gt;…)</c>.</summary>
    public string? Pattern { get; set; }

    /// <summary>The kedge URL template, with <c>${name}</c> references to the pattern's groups.</summary>
    public string? Url { get; set; }
}

/// <summary>A direct route.</summary>
public sealed class KedgeDirectRouteOptions
{
    /// <summary>The target, <c>host</c> (any port) or <c>host:port</c>.</summary>
    public string? Host { get; set; }

    /// <summary>The kedge URL.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// Further kedges serving the same targets, in priority order, tried when <c>Url</c> fails (failover); empty (the
    /// default) for one kedge. Same form and scheme as <c>Url</c>.
    /// </summary>
    public IList<string> FallbackUrls { get; } = [];
}

/// <summary>A route that sends everything to one kedge (with <c>FallbackUrls</c>, to the first healthy one).</summary>
public sealed class KedgeSingleRouteOptions
{
    /// <summary>The kedge URL.</summary>
    public string? Url { get; set; }
    /// <summary>
    /// Further kedges serving the same targets, in priority order, tried when <c>Url</c> fails (failover); empty (the
    /// default) for one kedge. Same form and scheme as <c>Url</c>.
    /// </summary>
    public IList<string> FallbackUrls { get; } = [];
}
