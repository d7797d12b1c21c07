using Kedge.Server.Backends;
using Kedge.Server.Routing;

namespace Kedge.Server.Configuration;

/// <summary>Routes and backends that were applied together; the proxy reads one snapshot per request.</summary>
internal sealed record KedgeSnapshot(
    KedgeServerOptions Options,
    RoutingTable Routes,
    IReadOnlyDictionary<string, Backend> HttpBackends,
    IReadOnlyDictionary<string, Backend> GrpcBackends)
{
    public static readonly KedgeSnapshot Empty = new(new KedgeServerOptions(), new RoutingTable(new KedgeServerOptions()), new Dictionary<string, Backend>(), new Dictionary<string, Backend>());
}
