using CsCheck;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;
using Kedge.Testing;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Tests.Routing;

/// <summary>
/// The route and adhoc matchers against reference models written here from the documented rules: the first route
/// whose host (case-insensitive), port, request form, path rules (<c>/p*</c> prefix, exact otherwise) and headers all
/// match wins; adhoc names match <c>*suffix</c> or exactly, case-insensitively, never an IP literal.
/// </summary>
public sealed class RoutingTableProperties
{
    /// <summary>Few distinct values, in any case, so that generated routes and requests often meet.</summary>
    private static readonly Gen<string> HostName = Gen.Select(Gen.OneOf("a.example.com", "b.example.com", "c.test", "x"), Gen.Bool)
        .Select(t => t.Item2 ? t.Item1.ToUpperInvariant() : t.Item1);

    private static readonly Gen<string> Path = Gen.Select(Gen.OneOf("/", "/v1", "/v1/", "/v1/x", "/v10", "/v2/y", "/a/b", "/A/b", ""), Gen.String[Gen.Char["/abv1*"], 0, 3])
        .Select(t => t.Item1 + t.Item2);

    private static readonly Gen<string> PathRule = Gen.OneOf(Path, Path.Select(p => p + "*"));

    private static readonly Gen<int> Port = Gen.OneOf(0, 80, 443, 8080);

    private static readonly Gen<(string Name, string Value)> Header = Gen.Select(Gen.OneOf("x-env", "X-Env", "x-team"), Gen.OneOf("prod", "dev", "Prod"));

    private static readonly Gen<HttpRouteOptions> HttpRoute =
        from host in HostName.Null()
        from port in Port
        from rules in PathRule.Array[0, 3]
        from headers in Header.Array[0, 2]
        from mode in Gen.Enum<ProxyMode>()
        select new HttpRouteOptions
        {
            Backend = "b",
            Host = host,
            Port = port,
            PathRules = [.. rules],
            Headers = new(headers.DistinctBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(h => h.Name, h => h.Value), StringComparer.OrdinalIgnoreCase),
            ProxyMode = mode,
        };

    [Fact]
    public void MatchHttp_AnyRoutesAndRequest_AgreesWithTheModel()
    {
        var request =
            from host in Gen.Frequency((9, HostName), (1, Gen.Const(() => string.Empty)))
            from port in Gen.OneOf(80, 443, 8080, 9090)
            from path in Path
            from forward in Gen.Bool
            from headers in Header.Array[0, 3]
            select (Target: new RequestTarget(host, port, path, forward), Headers: headers);
        Gen.Select(HttpRoute.Array[0, 6], request).Sample(
            (routes, request) =>
            {
                var table = new RoutingTable(new KedgeServerOptions { HttpRoutes = [.. routes] });
                var headers = new HeaderDictionary();
                foreach (var (name, value) in request.Headers)
                {
                    headers.Append(name, value);
                }

                var matched = table.MatchHttp(request.Target, headers);

                var expected = Array.FindIndex(routes, r => ModelMatches(r, request.Target, request.Headers));
                Assert.Equal(expected, matched?.Index ?? -1);
            },
            iter: PropertyRuns.Iterations(10_000),
            print: t => $"routes: {string.Join(" | ", t.Item1.Select(Describe))}; request: {t.Item2.Target} {string.Join(",", t.Item2.Headers)}");
    }

    [Fact]
    public void MatchGrpc_AnyRoutesAndCall_AgreesWithTheModel()
    {
        var service = Gen.OneOf("", "*", "pkg.Svc", "pkg.*", "pkg.Svc/", "/pkg.Svc", "pkg.Svc/Get*", "pkg", "pkg.Sv*", "other.Svc");
        var route =
            from name in service
            from host in HostName.Null()
            from port in Port
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
            from method in Gen.OneOf("pkg.Svc/Get", "pkg.Svc/Put", "pkg.SvcX/Get", "pkg.Sv/Get", "other.Svc/Get", "pkg/Get", "pkg.Svc", "")
            from host in HostName
            from port in Gen.OneOf(80, 443, 8080)
            from headers in Header.Array[0, 3]
            select (Method: method, Host: host, Port: port, Headers: headers);
        Gen.Select(route.Array[0, 5], call).Sample(
            (routes, call) =>
            {
                var table = new RoutingTable(new KedgeServerOptions { GrpcRoutes = [.. routes] });
                var headers = new HeaderDictionary();
                foreach (var (name, value) in call.Headers)
                {
                    headers.Append(name, value);
                }

                var matched = table.MatchGrpc(call.Method, call.Host, call.Port, headers);

                var expected = Array.FindIndex(routes, r => ModelMatches(r, call.Method, call.Host, call.Port, call.Headers));
                Assert.Equal(expected, matched?.Index ?? -1);
            },
            iter: PropertyRuns.Iterations(10_000));
    }

    [Fact]
    public void MatchAdhoc_AnyRulesAndHost_AgreesWithTheModel()
    {
        var matcher = Gen.OneOf("*.svc.cluster.local", "*.Example.com", "db.shop.svc", "*example.com", "x.test", "*.test");
        var host = Gen.OneOf(
            Gen.Select(Gen.OneOf("", "a.", "db.", "a.b."), Gen.OneOf("svc.cluster.local", "example.com", "shop.svc", "test", "x.test", "EXAMPLE.COM", "evilexample.com"))
                .Select(t => t.Item1 + t.Item2),
            Gen.OneOf("127.0.0.1", "::1", "10.0.0.1", "", "db.shop.svc", "DB.SHOP.SVC", "x.test."));
        Gen.Select(matcher.Array[0, 4], host, Gen.Bool).Sample(
            (matchers, host, isGrpc) =>
            {
                var rules = matchers.Select(m => new AdhocRuleOptions { DnsNameMatcher = m }).ToList();
                var table = new RoutingTable(isGrpc ? new KedgeServerOptions { GrpcAdhocRules = rules } : new KedgeServerOptions { HttpAdhocRules = rules });

                var matched = table.MatchAdhoc(host, isGrpc);

                var isIp = System.Net.IPAddress.TryParse(host, out _);
                var expected = host.Length == 0 || isIp ? -1 : Array.FindIndex(matchers, m => m.StartsWith('*')
                    ? host.EndsWith(m[1..], StringComparison.OrdinalIgnoreCase)
                    : string.Equals(host, m, StringComparison.OrdinalIgnoreCase));
                Assert.Equal(expected, matched?.Index ?? -1);
            },
            iter: PropertyRuns.Iterations(10_000));
    }

    private static bool ModelMatches(HttpRouteOptions route, RequestTarget target, (string Name, string Value)[] headers) =>
        target.Host.Length > 0
        && (route.Host is null || string.Equals(route.Host, target.Host, StringComparison.OrdinalIgnoreCase))
        && (route.Port == 0 || route.Port == target.Port)
        && route.ProxyMode switch
        {
            ProxyMode.ForwardProxy => target.IsForwardProxy,
            ProxyMode.ReverseProxy => !target.IsForwardProxy,
            _ => true,
        }
        && (route.PathRules.Count == 0 || route.PathRules.Any(rule => rule.Length > 0 && (rule.EndsWith('*')
            ? target.Path.StartsWith(rule[..^1], StringComparison.Ordinal)
            : target.Path == rule)))
        && route.Headers.All(h => headers.Any(given => string.Equals(given.Name, h.Key, StringComparison.OrdinalIgnoreCase) && given.Value == h.Value));

    private static bool ModelMatches(GrpcRouteOptions route, string method, string host, int port, (string Name, string Value)[] headers)
    {
        var service = method.Contains('/', StringComparison.Ordinal) ? method[..method.IndexOf('/', StringComparison.Ordinal)] : null;
        var name = route.ServiceName ?? string.Empty;
        var serviceMatches = name is "" or "*"
            || (name.EndsWith('*') ? method.StartsWith(name[..^1], StringComparison.Ordinal) : service == name.Trim('/'));
        return serviceMatches
            && (route.AuthorityHost is null || string.Equals(route.AuthorityHost, host, StringComparison.OrdinalIgnoreCase))
            && (route.AuthorityPort == 0 || route.AuthorityPort == port)
            && route.Metadata.All(m => headers.Any(given => string.Equals(given.Name, m.Key, StringComparison.OrdinalIgnoreCase) && given.Value == m.Value));
    }

    private static string Describe(HttpRouteOptions r) =>
        $"{r.Host ?? "*"}:{r.Port} {r.ProxyMode} [{string.Join(",", r.PathRules)}] {string.Join(",", r.Headers)}";
}
