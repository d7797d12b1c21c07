using Kedge.Common;

namespace Kedge.Winch.Checks;

/// <summary>What a caller can do about each kedge error type (the meanings come from <see cref="KedgeErrorKind"/>).</summary>
internal static class KedgeErrorFixes
{
    public static string For(KedgeErrorKind? kind, string target, string kedge, string routeWhere) => kind?.Name switch
    {
        KedgeErrorTypeNames.Unauthorized => $"kedge refused winch's credentials for {target}: check the proxy_auth source of {routeWhere} (its 'auth' lines) and that kedge trusts its issuer; a route that needs a client certificate needs --client_tls_cert_file",
        KedgeErrorTypeNames.Forbidden => $"winch's identity may not reach {target} through {kedge}: ask the kedge's operators to allow it, or use the identity the kedge route needs",
        KedgeErrorTypeNames.NoRoute => $"{kedge} has no route for {target}: check the host and port (kedge routes by them), ask the kedge's operators to add one, or correct {routeWhere} if this target belongs to another kedge",
        KedgeErrorTypeNames.UnknownRouteError => $"kedge could not route {target} as written: check the port, and that an adhoc name resolves in the kedge's cluster",
        KedgeErrorTypeNames.MethodNotAllowed => "kedge does not proxy this method; a GET should never get this: report it with the kedge version",
        KedgeErrorTypeNames.UnsupportedMediaType => $"{kedge} is kedge's separate gRPC port: give the route kedge's HTTPS port, or mark it \"protocol\": GRPC",
        KedgeErrorTypeNames.MalformedRequest => "kedge found the request malformed; report it with the winch and kedge versions",
        KedgeErrorTypeNames.NoBackend => $"kedge's configuration names a backend it does not have: tell the operators of {kedge} (kedge check on it shows which)",
        KedgeErrorTypeNames.NoResolutionAvailable => $"the backend of {target} resolves to no addresses in the kedge's cluster: is the service deployed and are its pods ready? (kedge check on {kedge} lists the backend)",
        KedgeErrorTypeNames.NoConnectionToAllResolvedAddresses => $"every endpoint of {target}'s backend refused kedge's connection: the pods are down or not listening on the port",
        KedgeErrorTypeNames.TransportUnknownError => $"kedge could not talk to the backend of {target} (TLS to the backend, a reset): look in kedge's log for the request id",
        KedgeErrorTypeNames.BackendTransportClosed or KedgeErrorTypeNames.ResolverWatcherIrrecoverable => "a Go kedge reconfigured or lost its resolver; retry, and tell its operators if it stays",
        _ => $"look in the log of {kedge} for the request id",
    };
}
