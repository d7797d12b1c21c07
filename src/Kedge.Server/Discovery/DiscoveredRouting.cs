using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Discovery;

/// <summary>
/// Routes and backends generated from exposed Services, and how they join the static configuration: static routes
/// keep their order and come first, generated ones follow; a generated route or backend that collides with a static
/// one (same host and port, or same backend name) is left out and logged, never silently shadowed.
/// </summary>
internal sealed record DiscoveredRouting(
    IReadOnlyList<DiscoveredEntry<HttpRouteOptions>> HttpRoutes,
    IReadOnlyList<DiscoveredEntry<GrpcRouteOptions>> GrpcRoutes,
    IReadOnlyList<DiscoveredEntry<BackendOptions>> HttpBackends,
    IReadOnlyList<DiscoveredEntry<BackendOptions>> GrpcBackends,
    int ServiceCount,
    int Conflicts)
{
    public static readonly DiscoveredRouting Empty = new([], [], [], [], 0, 0);

    public const string StaticConfiguration = "the static configuration";

    /// <summary>The static configuration with the generated entries appended; collisions are logged and counted in <paramref name="conflicts"/>.</summary>
    public KedgeServerOptions MergeInto(KedgeServerOptions baseOptions, ILogger logger, out int conflicts)
    {
        conflicts = 0;
        if (ServiceCount == 0)
        {
            return baseOptions;
        }

        var staticHttpBackends = baseOptions.HttpBackends.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var staticGrpcBackends = baseOptions.GrpcBackends.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var staticHttpClaims = baseOptions.HttpRoutes.Where(r => !string.IsNullOrEmpty(r.Host)).Select(r => HttpClaim(r.Host!, r.Port)).ToHashSet(StringComparer.Ordinal);
        var staticGrpcClaims = baseOptions.GrpcRoutes.Where(r => !string.IsNullOrEmpty(r.AuthorityHost)).Select(r => GrpcClaim(r.AuthorityHost!, r.AuthorityPort, r.ServiceName)).ToHashSet(StringComparer.Ordinal);

        var merged = new KedgeServerOptions
        {
            HttpRoutes = [.. baseOptions.HttpRoutes],
            GrpcRoutes = [.. baseOptions.GrpcRoutes],
            HttpAdhocRules = baseOptions.HttpAdhocRules,
            GrpcAdhocRules = baseOptions.GrpcAdhocRules,
            TunnelRoutes = baseOptions.TunnelRoutes,
            HttpBackends = [.. baseOptions.HttpBackends],
            GrpcBackends = [.. baseOptions.GrpcBackends],
        };

        var lost = 0;
        var httpBackends = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (service, backend) in HttpBackends)
        {
            if (staticHttpBackends.Contains(backend.Name))
            {
                KedgeServerLog.DiscoveryConflict(logger, service, $"the HTTP backend name '{backend.Name}'", StaticConfiguration);
                lost++;
                continue;
            }

            merged.HttpBackends.Add(backend);
            httpBackends.Add(backend.Name!);
        }

        var grpcBackends = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (service, backend) in GrpcBackends)
        {
            if (staticGrpcBackends.Contains(backend.Name))
            {
                KedgeServerLog.DiscoveryConflict(logger, service, $"the gRPC backend name '{backend.Name}'", StaticConfiguration);
                lost++;
                continue;
            }

            merged.GrpcBackends.Add(backend);
            grpcBackends.Add(backend.Name!);
        }

        foreach (var (service, route) in HttpRoutes)
        {
            var claim = HttpClaim(route.Host!, route.Port);
            if (staticHttpClaims.Contains(claim))
            {
                KedgeServerLog.DiscoveryConflict(logger, service, claim, StaticConfiguration);
                lost++;
            }
            else if (httpBackends.Contains(route.Backend!))
            {
                merged.HttpRoutes.Add(route);
            }
        }

        foreach (var (service, route) in GrpcRoutes)
        {
            var claim = GrpcClaim(route.AuthorityHost!, route.AuthorityPort, route.ServiceName);
            if (staticGrpcClaims.Contains(claim))
            {
                KedgeServerLog.DiscoveryConflict(logger, service, claim, StaticConfiguration);
                lost++;
            }
            else if (grpcBackends.Contains(route.Backend!))
            {
                merged.GrpcRoutes.Add(route);
            }
        }

        conflicts = lost;
        return merged;
    }

    public static string HttpClaim(string host, int port) => $"HTTP host {host.ToLowerInvariant()} port {port}";

    public static string GrpcClaim(string host, int port, string? service)
        => $"gRPC authority {host.ToLowerInvariant()} port {port}" + (string.IsNullOrEmpty(service) || service == "*" ? string.Empty : $" service {service}");
}
