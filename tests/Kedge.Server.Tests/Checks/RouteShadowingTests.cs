using Kedge.Server.Checks;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;

namespace Kedge.Server.Tests.Checks;

/// <summary>Shadowed and not-shadowed neighbours: only what is provable is reported.</summary>
public class RouteShadowingTests
{
    private static HttpRouteOptions Http(string? host = null, int port = 0, string[]? paths = null, (string, string)[]? headers = null, ProxyMode mode = ProxyMode.Any, bool allowAmbiguous = false)
        => new()
        {
            Backend = "b",
            Host = host,
            Port = port,
            PathRules = [.. paths ?? []],
            Headers = new((headers ?? []).ToDictionary(h => h.Item1, h => h.Item2), StringComparer.OrdinalIgnoreCase),
            ProxyMode = mode,
            AllowAmbiguousPaths = allowAmbiguous,
        };

    private static GrpcRouteOptions Grpc(string? service = null, string? host = null, int port = 0, (string, string)[]? metadata = null)
        => new()
        {
            Backend = "b",
            ServiceName = service,
            AuthorityHost = host,
            AuthorityPort = port,
            Metadata = new((metadata ?? []).ToDictionary(h => h.Item1, h => h.Item2), StringComparer.OrdinalIgnoreCase),
        };

    private static string? Covers(HttpRouteOptions earlier, HttpRouteOptions later) => RouteShadowing.Covers(new HttpRoute(0, earlier), new HttpRoute(1, later));

    private static string? Covers(GrpcRouteOptions earlier, GrpcRouteOptions later) => RouteShadowing.Covers(new GrpcRoute(0, earlier), new GrpcRoute(1, later));

    public static TheoryData<string, HttpRouteOptions, HttpRouteOptions, string> ShadowedHttp => new()
    {
        { "catch-all before a host route", Http(), Http("a.example", paths: ["/v1*"]), "any host, any port, any path" },
        { "host compared case-insensitively", Http("A.example"), Http("a.EXAMPLE", 443), "the same host 'A.example', any port, any path" },
        { "wider prefix first", Http("a", paths: ["/v1/*"]), Http("a", paths: ["/v1/orders*", "/v1/status"]), "path rules /v1/* that take every path of /v1/status, /v1/orders*" },
        { "exact path covered by the same exact path", Http(paths: ["/healthz", "/readyz"]), Http(paths: ["/healthz"]), "path rules /healthz, /readyz that take every path of /healthz" },
        { "any port before one port", Http("a"), Http("a", 8443), "any port" },
        { "same port", Http("a", 443), Http("a", 443, ["/x"]), "the same port 443" },
        { "fewer headers first", Http(headers: [("x-env", "prod")]), Http(headers: [("X-Env", "prod"), ("x-team", "a")]), "header x-env (the same value), which it needs too" },
        { "no headers first", Http(), Http(headers: [("x-env", "prod")]), "no header matcher" },
        { "any proxy mode first", Http(), Http(mode: ProxyMode.ForwardProxy), "any path" },
        { "same proxy mode", Http(mode: ProxyMode.ReverseProxy), Http(mode: ProxyMode.ReverseProxy), "the same proxy mode ReverseProxy" },
        { "both refuse ambiguous paths", Http(paths: ["/v1*"]), Http(paths: ["/v1/a*"], allowAmbiguous: true), "path rules" },
    };

    [Fact]
    public void Covers_HeaderMatcherValue_NamesTheHeaderButNeverPrintsTheValue()
    {
        const string apiKey = "sk-live-0123456789abcdef";

        var reason = Covers(Http(headers: [("x-api-key", apiKey)]), Http(headers: [("x-api-key", apiKey), ("x-team", "a")]));

        Assert.NotNull(reason);
        Assert.Contains("header x-api-key (the same value)", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ShadowedHttp))]
    public void Covers_HttpRouteThatTakesEverything_SaysWhy(string scenario, HttpRouteOptions earlier, HttpRouteOptions later, string why)
    {
        var reason = Covers(earlier, later);

        Assert.True(reason is not null, scenario);
        Assert.Contains(why, reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, HttpRouteOptions, HttpRouteOptions> NotShadowedHttp => new()
    {
        { "host route before the catch-all", Http("a.example"), Http() },
        { "different hosts", Http("a.example"), Http("b.example") },
        { "narrower prefix first", Http(paths: ["/v1/orders*"]), Http(paths: ["/v1/*"]) },
        { "exact path before the same prefix", Http(paths: ["/v1/x"]), Http(paths: ["/v1/x*"]) },
        { "prefix that is not a string prefix", Http(paths: ["/v1/"]), Http(paths: ["/v1"]) },
        { "later takes any path", Http(paths: ["/v1*"]), Http() },
        { "one of the later rules uncovered", Http(paths: ["/v1*"]), Http(paths: ["/v1/a", "/v2"]) },
        { "one port before any port", Http(port: 443), Http() },
        { "different ports", Http(port: 443), Http(port: 8443) },
        { "earlier needs a header", Http(headers: [("x-env", "prod")]), Http() },
        { "header values differ", Http(headers: [("x-env", "prod")]), Http(headers: [("x-env", "dev")]) },
        { "header values differ in case", Http(headers: [("x-env", "prod")]), Http(headers: [("x-env", "Prod")]) },
        { "earlier reverse proxy only", Http(mode: ProxyMode.ReverseProxy), Http() },
        { "different proxy modes", Http(mode: ProxyMode.ReverseProxy), Http(mode: ProxyMode.ForwardProxy) },
        { "earlier takes ambiguous paths as decoded, later refuses them", Http(paths: ["/v1*"], allowAmbiguous: true), Http(paths: ["/v1/a*"]) },
        { "path prefix is case-sensitive", Http(paths: ["/V1*"]), Http(paths: ["/v1/a"]) },
    };

    [Theory]
    [MemberData(nameof(NotShadowedHttp))]
    public void Covers_HttpRoutesThatOnlyOverlap_IsNull(string scenario, HttpRouteOptions earlier, HttpRouteOptions later)
        => Assert.True(Covers(earlier, later) is null, scenario);

    public static TheoryData<string, GrpcRouteOptions, GrpcRouteOptions, string> ShadowedGrpc => new()
    {
        { "any service first", Grpc(), Grpc("pkg.Svc"), "any service, any authority" },
        { "star is any", Grpc("*"), Grpc("pkg.*", "a"), "any service" },
        { "package prefix before a service", Grpc("pkg.*"), Grpc("pkg.Svc"), "the service prefix 'pkg.*'" },
        { "prefix ending inside the name", Grpc("pkg.Sv*"), Grpc("pkg.Svc"), "the service prefix 'pkg.Sv*'" },
        { "prefix up to the slash", Grpc("pkg.Svc/*"), Grpc("pkg.Svc"), "the service prefix 'pkg.Svc/*'" },
        { "service before its methods", Grpc("pkg.Svc"), Grpc("pkg.Svc/Get*"), "every method of 'pkg.Svc'" },
        { "same service", Grpc("/pkg.Svc/"), Grpc("pkg.Svc"), "every method of 'pkg.Svc'" },
        { "same authority, any port", Grpc(host: "A"), Grpc(host: "a", port: 443), "the same authority host 'A'" },
        { "fewer metadata", Grpc(metadata: [("x-env", "prod")]), Grpc(metadata: [("X-ENV", "prod"), ("x-team", "a")]), "metadata x-env (the same value), which it needs too" },
    };

    [Theory]
    [MemberData(nameof(ShadowedGrpc))]
    public void Covers_GrpcRouteThatTakesEverything_SaysWhy(string scenario, GrpcRouteOptions earlier, GrpcRouteOptions later, string why)
    {
        var reason = Covers(earlier, later);

        Assert.True(reason is not null, scenario);
        Assert.Contains(why, reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, GrpcRouteOptions, GrpcRouteOptions> NotShadowedGrpc => new()
    {
        { "service before the package", Grpc("pkg.Svc"), Grpc("pkg.*") },
        { "methods before the service", Grpc("pkg.Svc/Get*"), Grpc("pkg.Svc") },
        { "service is not a prefix of another", Grpc("pkg.Svc"), Grpc("pkg.SvcX") },
        { "service is not a prefix of a longer prefix", Grpc("pkg.Svc"), Grpc("pkg.Svc*") },
        { "prefix past the slash", Grpc("pkg.Svc/G*"), Grpc("pkg.Svc") },
        { "a service before any", Grpc("pkg.Svc"), Grpc() },
        { "different authorities", Grpc(host: "a"), Grpc(host: "b") },
        { "authority before any", Grpc(host: "a"), Grpc() },
        { "port before any port", Grpc(port: 443), Grpc() },
        { "earlier needs metadata", Grpc(metadata: [("x-env", "prod")]), Grpc() },
        { "service name is case-sensitive", Grpc("pkg.svc"), Grpc("pkg.Svc") },
        { "a matcher with a slash inside matches nothing", Grpc("pkg.Svc/Get"), Grpc("pkg.Svc/Get") },
    };

    [Theory]
    [MemberData(nameof(NotShadowedGrpc))]
    public void Covers_GrpcRoutesThatOnlyOverlap_IsNull(string scenario, GrpcRouteOptions earlier, GrpcRouteOptions later)
        => Assert.True(Covers(earlier, later) is null, scenario);
}
