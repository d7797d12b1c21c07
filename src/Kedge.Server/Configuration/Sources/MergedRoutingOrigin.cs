namespace Kedge.Server.Configuration.Sources;

/// <summary>
/// The static configuration with discovery's entries appended after it (<see cref="Discovery.DiscoveredRouting.MergeInto"/>):
/// an entry whose index falls within the static list is located in the static source, the rest in discovery.
/// </summary>
internal sealed class MergedRoutingOrigin(RoutingOrigin staticOrigin, KedgeServerOptions staticOptions, RoutingOrigin discovered) : RoutingOrigin
{
    public override string Locate(string key)
    {
        var segments = Segments(key);
        var staticCount = segments.FirstOrDefault() switch
        {
            "HttpRoutes" => staticOptions.HttpRoutes.Count,
            "GrpcRoutes" => staticOptions.GrpcRoutes.Count,
            "HttpAdhocRules" => staticOptions.HttpAdhocRules.Count,
            "GrpcAdhocRules" => staticOptions.GrpcAdhocRules.Count,
            "TunnelRoutes" => staticOptions.TunnelRoutes.Count,
            "HttpBackends" => staticOptions.HttpBackends.Count,
            "GrpcBackends" => staticOptions.GrpcBackends.Count,
            _ => 0,
        };
        return segments.Length > 1 && int.TryParse(segments[1], System.Globalization.CultureInfo.InvariantCulture, out var index) && index < staticCount
            ? staticOrigin.Locate(key)
            : discovered.Locate(key);
    }
}
