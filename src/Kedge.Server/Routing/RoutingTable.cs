using Kedge.Server.Authorization;
using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Routing;

/// <summary>
/// The HTTP and gRPC routes, compiled once per configuration and swapped atomically. HTTP lookups by host do not scan
/// every route: each host has its own precomputed list (its routes merged in order with the routes for any host).
/// </summary>
internal sealed class RoutingTable
{
    private readonly Dictionary<string, HttpRoute[]> _httpByHost;
    private readonly HttpRoute[] _httpAnyHost;

    public RoutingTable(KedgeServerOptions options, KedgeServerSettings? settings = null)
    {
        settings ??= new KedgeServerSettings();
        var auth = settings.Auth;
        DefaultPolicy = KedgePolicies.Default(settings);
        HttpRoutes = [.. options.HttpRoutes.Select((r, i) => new HttpRoute(i, r) { Policy = KedgePolicies.For(r.Authorization, auth, DefaultPolicy) })];
        GrpcRoutes = [.. options.GrpcRoutes.Select((r, i) => new GrpcRoute(i, r) { Policy = KedgePolicies.For(r.Authorization, auth, DefaultPolicy) })];
        HttpAdhocRules = [.. options.HttpAdhocRules.Select((r, i) => new AdhocRule(i, r, KedgePolicies.For(r.Authorization, auth, DefaultPolicy)))];
        GrpcAdhocRules = [.. options.GrpcAdhocRules.Select((r, i) => new AdhocRule(i, r, KedgePolicies.For(r.Authorization, auth, DefaultPolicy)))];
        TunnelRoutes = [.. options.TunnelRoutes.Select((r, i) => new TunnelRoute(i, r, KedgePolicies.For(r.Authorization, auth, DefaultPolicy)))];
        _httpAnyHost = [.. HttpRoutes.Where(r => r.Host is null)];
        _httpByHost = HttpRoutes
            .Where(r => r.Host is not null)
            .GroupBy(r => r.Host!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g.Key,
                g => g.Concat(_httpAnyHost).OrderBy(r => r.Index).ToArray(),
                StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<HttpRoute> HttpRoutes { get; }

    public IReadOnlyList<GrpcRoute> GrpcRoutes { get; }

    public IReadOnlyList<AdhocRule> HttpAdhocRules { get; }

    public IReadOnlyList<AdhocRule> GrpcAdhocRules { get; }

    public IReadOnlyList<TunnelRoute> TunnelRoutes { get; }

    /// <summary>The <c>Kedge:Auth</c> default policy; also what a request that matches nothing is checked against.</summary>
    public Microsoft.AspNetCore.Authorization.AuthorizationPolicy? DefaultPolicy { get; }

    /// <summary>
    /// The adhoc rule for <paramref name="host"/>: the first whose name matcher matches decides, even if it then refuses
    /// the port (as in Go). IP literals never match: adhoc is for names.
    /// </summary>
    public AdhocRule? MatchAdhoc(string host, bool isGrpc)
    {
        if (host.Length == 0 || System.Net.IPAddress.TryParse(host, out _))
        {
            return null;
        }

        foreach (var rule in isGrpc ? GrpcAdhocRules : HttpAdhocRules)
        {
            if (rule.MatchesName(host))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The first tunnel route whose host matcher matches <paramref name="host"/> (it decides, even if it then refuses the port), or <see langword="null"/>.</summary>
    public TunnelRoute? MatchTunnel(string host)
    {
        if (host.Length == 0)
        {
            return null;
        }

        foreach (var route in TunnelRoutes)
        {
            if (route.MatchesHost(host))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>The first HTTP route that matches, or <see langword="null"/>. An empty host never matches (as in Go).</summary>
    public HttpRoute? MatchHttp(in RequestTarget target, IHeaderDictionary headers)
    {
        if (target.Host.Length == 0)
        {
            return null;
        }

        var candidates = _httpByHost.TryGetValue(target.Host, out var forHost) ? forHost : _httpAnyHost;
        foreach (var route in candidates)
        {
            if (route.MatchesExceptHost(target, headers))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>The first gRPC route that matches, or <see langword="null"/>.</summary>
    public GrpcRoute? MatchGrpc(string fullMethod, string host, int port, IHeaderDictionary headers)
    {
        foreach (var route in GrpcRoutes)
        {
            if (route.Matches(fullMethod, host, port, headers))
            {
                return route;
            }
        }

        return null;
    }
}
