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

    public RoutingTable(KedgeServerOptions options)
    {
        HttpRoutes = [.. options.HttpRoutes.Select((r, i) => new HttpRoute(i, r))];
        GrpcRoutes = [.. options.GrpcRoutes.Select((r, i) => new GrpcRoute(i, r))];
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
