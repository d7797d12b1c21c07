using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Routing;

/// <summary>A compiled tunnel route: a host matcher (exact or <c>*.suffix</c>, case-insensitive), allowed ports, a backend. Immutable.</summary>
internal sealed class TunnelRoute
{
    private readonly string _matcher;
    private readonly bool _isSuffix;
    private readonly int[] _ports;

    public TunnelRoute(int index, TunnelRouteOptions options, AuthorizationPolicy? policy)
    {
        Index = index;
        var host = options.Host ?? string.Empty;
        _isSuffix = host.StartsWith('*');
        _matcher = _isSuffix ? host[1..] : host;
        _ports = [.. options.Ports];
        Backend = options.Backend ?? string.Empty;
        Policy = policy;
        MetricName = string.IsNullOrEmpty(options.Name) ? host : options.Name;
    }

    public int Index { get; }

    /// <summary>The <c>route</c> label of the tunnel and request metrics.</summary>
    public string MetricName { get; }

    /// <summary>The <c>HttpBackends</c> backend the tunnel connects to.</summary>
    public string Backend { get; }

    /// <summary>Who may use the route, or <see langword="null"/> for anyone the TLS layer let in.</summary>
    public AuthorizationPolicy? Policy { get; }

    /// <summary>The route's request statistics (looked up once, then cached here).</summary>
    public Observability.RequestStats? Stats { get; set; }

    /// <summary>The allowed ports.</summary>
    public IReadOnlyList<int> Ports => _ports;

    public bool MatchesHost(string host) => _matcher.Length > 0
        && (_isSuffix ? host.Length > _matcher.Length && host.EndsWith(_matcher, StringComparison.OrdinalIgnoreCase) : host.Equals(_matcher, StringComparison.OrdinalIgnoreCase));

    public bool AllowsPort(int port) => Array.IndexOf(_ports, port) >= 0;
}
