using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.GoCompat.Jsonpb;
using Kedge.Winch.Auth;
using Kedge.Winch.Configuration;

namespace Kedge.Winch.Routing;

/// <summary>
/// Go winch's static routes, built on Kedge.Client's mappers: the routes in config order, split by protocol into one
/// mapper for the HTTP proxy and one for the gRPC proxy (a route with protocol ANY is in both). The first route that
/// matches wins; an IP-literal target is refused before any route is tried.
/// </summary>
internal sealed class WinchMappers
{
    private WinchMappers(KedgeMapper http, KedgeMapper grpc, int httpCount, int grpcCount)
    {
        Http = http;
        Grpc = grpc;
        HttpRouteCount = httpCount;
        GrpcRouteCount = grpcCount;
    }

    public KedgeMapper Http { get; }

    public KedgeMapper Grpc { get; }

    public int HttpRouteCount { get; }

    public int GrpcRouteCount { get; }

    /// <summary>Builds the mappers; null after adding every problem to <paramref name="errors"/>.</summary>
    public static WinchMappers? Build(IReadOnlyList<WinchRouteConfig> routes, AuthSourceFactory auth, List<string> errors)
    {
        var before = errors.Count;
        var http = new List<KedgeMapper>();
        var grpc = new List<KedgeMapper>();
        foreach (var route in routes)
        {
            var proxyAuth = route.ProxyAuth is { } proxyName ? auth.Get(proxyName, errors) : null;
            var backendAuth = route.BackendAuth is { } backendName ? auth.Get(backendName, errors) : null;
            var mapper = BuildOne(route, proxyAuth, backendAuth, errors);
            if (mapper is null)
            {
                continue;
            }

            if (route.Protocol is WinchProtocol.Any or WinchProtocol.Http)
            {
                http.Add(mapper);
            }

            if (route.Protocol is WinchProtocol.Any or WinchProtocol.Grpc)
            {
                grpc.Add(mapper);
            }
        }

        return errors.Count == before ? new WinchMappers(KedgeMapper.FirstMatch(http), KedgeMapper.FirstMatch(grpc), http.Count, grpc.Count) : null;
    }

    private static KedgeMapper? BuildOne(WinchRouteConfig route, KedgeTokenSource? proxyAuth, KedgeTokenSource? backendAuth, List<string> errors)
    {
        var where = GoConfigErrorSink.Locate("mapper config", route.Path);
        try
        {
            if (route.DirectKey is { } key)
            {
                if (!Uri.TryCreate(route.Url, UriKind.Absolute, out var url))
                {
                    errors.Add($"{where}.direct.url: \"{route.Url}\" is not a URL. Give the kedge's URL, for example \"https://kedge.cluster-b.example.com\"");
                    return null;
                }

                var kedgeRoute = new KedgeRoute(url) { ProxyAuth = proxyAuth, BackendAuth = backendAuth, FallbackKedgeUrls = [.. route.FallbackUrls.Select(u => new Uri(u))] };
                return KedgeMapper.Direct([new KeyValuePair<string, KedgeRoute>(key, kedgeRoute)]);
            }

            return KedgeMapper.Regex(route.Expression!, route.Url, proxyAuth, backendAuth);
        }
        catch (ArgumentException ex)
        {
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            errors.Add($"{where}.{(route.DirectKey is null ? "regexp" : "direct")}: {message}");
            return null;
        }
    }
}
