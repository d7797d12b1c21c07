using Kedge.GoCompat.Jsonpb;
namespace Kedge.Server.Configuration.Sources;

/// <summary>
/// Go kedge's director and backendpool configs translated into the native model: a native key is shown as the Go
/// source and its proto field path (<c>director.json (director config): http.routes[3].backend_name</c>, the path form
/// of the Go reader's own errors), because that is the file the user edits. The translation keeps list order, so
/// indexes carry over.
/// </summary>
internal sealed class GoRoutingOrigin(string director, string backendPool) : RoutingOrigin
{
    // Native field → Go proto field, per kind of entry. Fields with no Go equivalent keep their native name.
    private static readonly Dictionary<string, string> HttpRouteFields = new(StringComparer.Ordinal)
    {
        ["Backend"] = "backend_name",
        ["PathRules"] = "path_rules",
        ["Host"] = "host_matcher",
        ["Headers"] = "header_matcher",
        ["ProxyMode"] = "proxy_mode",
        ["Port"] = "port_matcher",
    };

    private static readonly Dictionary<string, string> GrpcRouteFields = new(StringComparer.Ordinal)
    {
        ["Backend"] = "backend_name",
        ["ServiceName"] = "service_name_matcher",
        ["AuthorityHost"] = "authority_host_matcher",
        ["Metadata"] = "metadata_matcher",
        ["AuthorityPort"] = "authority_port_matcher",
    };

    private static readonly Dictionary<string, string> AdhocFields = new(StringComparer.Ordinal)
    {
        ["DnsNameMatcher"] = "dns_name_matcher",
        ["Port"] = "port",
        ["Default"] = "default",
        ["Allowed"] = "allowed",
        ["AllowedRanges"] = "allowed_ranges",
        ["DnsNameReplace"] = "dns_name_replace",
        ["Pattern"] = "pattern",
        ["Substitution"] = "substitution",
    };

    private static readonly Dictionary<string, string> BackendFields = new(StringComparer.Ordinal)
    {
        ["Name"] = "name",
        ["Balancer"] = "balancer",
        ["Tls"] = "security",
        ["InsecureSkipVerify"] = "insecure_skip_verify",
        ["Srv"] = "srv",
        ["K8s"] = "k8s",
        ["Host"] = "host",
        ["DnsName"] = "dns_name",
        ["PortOverride"] = "port_override",
        ["DnsPortName"] = "dns_port_name",
        ["Port"] = "port",
    };

    public override string Locate(string key)
    {
        var segments = Segments(key);
        if (segments.Length == 0)
        {
            return $"{director}, {backendPool}";
        }

        var (source, root, fields) = segments[0] switch
        {
            "HttpRoutes" => (director, "http.routes", HttpRouteFields),
            "GrpcRoutes" => (director, "grpc.routes", GrpcRouteFields),
            "HttpAdhocRules" => (director, "http.adhoc_rules", AdhocFields),
            "GrpcAdhocRules" => (director, "grpc.adhoc_rules", AdhocFields),
            "HttpBackends" => (backendPool, "http.backends", BackendFields),
            "GrpcBackends" => (backendPool, "grpc.backends", BackendFields),
            _ => (director, string.Empty, new Dictionary<string, string>()),
        };
        return GoConfigErrorSink.Locate(source, JsonPath(root, segments.Skip(1).Select(s => fields.GetValueOrDefault(s, s))));
    }
}
