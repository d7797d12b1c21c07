using CsCheck;
using Kedge.Server.Checks;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;
using Kedge.Testing;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Tests.Checks;

/// <summary>
/// Soundness against the real matcher: whenever <see cref="RouteShadowing"/> says an earlier route shadows a later one,
/// no request — ambiguous paths included — is ever routed to the later one by <see cref="RoutingTable"/>.
/// </summary>
public sealed class RouteShadowingProperties
{
    private static readonly Gen<string> HostName = Gen.Select(Gen.OneOf("a.example", "b.example", "x"), Gen.Bool).Select(t => t.Item2 ? t.Item1.ToUpperInvariant() : t.Item1);

    private static readonly Gen<string> Path = Gen.Select(Gen.OneOf("/", "/v1", "/v1/", "/v1/x", "/v10", "/a", ""), Gen.String[Gen.Char["/av1;%"], 0, 3]).Select(t => t.Item1 + t.Item2);

    private static readonly Gen<(string Name, string Value)> Header = Gen.Select(Gen.OneOf("x-env", "X-Env", "x-team"), Gen.OneOf("prod", "dev", "Prod"));

    private static readonly Gen<HttpRouteOptions> HttpRouteGen =
        from host in HostName.Null()
        from port in Gen.OneOf(0, 80, 443)
        from rules in Gen.OneOf(Path, Path.Select(p => p + "*")).Array[0, 3]
        from headers in Header.Array[0, 2]
        from mode in Gen.Enum<ProxyMode>()
        from ambiguous in Gen.Bool
        select new HttpRouteOptions
        {
            Backend = "b",
            Host = host,
            Port = port,
            PathRules = [.. rules],
            AllowAmbiguousPaths = ambiguous && rules.Length > 0,
            Headers = new(headers.DistinctBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(h => h.Name, h => h.Value), StringComparer.OrdinalIgnoreCase),
            ProxyMode = mode,
        };

    [Fact]
    public void Covers_HttpRoutes_TheShadowedOneNeverMatches()
    {
        var request =
            from host in HostName
            from port in Gen.OneOf(80, 443, 8080)
            from path in Path
            from raw in Path
            from lenient in Path
            from ambiguous in Gen.Bool
            from forward in Gen.Bool
            from headers in Header.Array[0, 3]
            select (Target: ambiguous
                ? new RequestTarget(host, port, path, forward) { PathAmbiguity = "a ';' path parameter", RawPath = raw, LenientPath = lenient }
                : new RequestTarget(host, port, path, forward), Headers: headers);
        var shadowed = 0;
        Gen.Select(HttpRouteGen, HttpRouteGen, request.Array[1, 20]).Sample(
            (earlier, later, requests) =>
            {
                if (RouteShadowing.Covers(new HttpRoute(0, earlier), new HttpRoute(1, later)) is null)
                {
                    return;
                }

                shadowed++;
                var table = new RoutingTable(new KedgeServerOptions { HttpRoutes = [earlier, later] });
                foreach (var (target, headerList) in requests)
                {
                    var headers = new HeaderDictionary();
                    foreach (var (name, value) in headerList)
                    {
                        headers.Append(name, value);
                    }

                    Assert.NotEqual(1, table.MatchHttp(target, headers)?.Index);
                }
            },
            iter: PropertyRuns.Iterations(20_000));
        Assert.True(shadowed > 100, $"only {shadowed} shadowed pairs generated: the property tested too little");
    }

    [Fact]
    public void Covers_GrpcRoutes_TheShadowedOneNeverMatches()
    {
        var route =
            from name in Gen.OneOf("", "*", "pkg.Svc", "pkg.*", "pkg.Svc/", "/pkg.Svc", "pkg.Svc/Get*", "pkg", "pkg.Sv*", "pkg.Svc*", "other.Svc", "pkg.Svc/*")
            from host in HostName.Null()
            from port in Gen.OneOf(0, 80, 443)
            from metadata in Header.Array[0, 2]
            select new GrpcRouteOptions
            {
                Backend = "b",
                ServiceName = name,
                AuthorityHost = host,
                AuthorityPort = port,
                Metadata = new(metadata.DistinctBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(h => h.Name, h => h.Value), StringComparer.OrdinalIgnoreCase),
            };
        var call =
            from method in Gen.OneOf("pkg.Svc/Get", "pkg.Svc/Put", "pkg.SvcX/Get", "pkg.Sv/Get", "other.Svc/Get", "pkg/Get", "pkg.Svc", "pkg.Svc/", "")
            from host in HostName
            from port in Gen.OneOf(80, 443, 8080, RequestTarget.NoPort)
            from headers in Header.Array[0, 3]
            select (Method: method, Host: host, Port: port, Headers: headers);
        var shadowed = 0;
        Gen.Select(route, route, call.Array[1, 20]).Sample(
            (earlier, later, calls) =>
            {
                if (RouteShadowing.Covers(new GrpcRoute(0, earlier), new GrpcRoute(1, later)) is null)
                {
                    return;
                }

                shadowed++;
                var table = new RoutingTable(new KedgeServerOptions { GrpcRoutes = [earlier, later] });
                foreach (var c in calls)
                {
                    var headers = new HeaderDictionary();
                    foreach (var (name, value) in c.Headers)
                    {
                        headers.Append(name, value);
                    }

                    Assert.NotEqual(1, table.MatchGrpc(c.Method, c.Host, c.Port, headers)?.Index);
                }
            },
            iter: PropertyRuns.Iterations(20_000));
        Assert.True(shadowed > 100, $"only {shadowed} shadowed pairs generated: the property tested too little");
    }
}
