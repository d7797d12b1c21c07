namespace Kedge.Server.Forwarding;

/// <summary>Kedge's error vocabulary (Go kedge's, plus <see cref="Forbidden"/>), sent as <c>X-Kedge-Error-Type</c>.</summary>
internal enum KedgeErrorType
{
    NoRoute,
    UnknownRouteError,
    Unauthorized,
    Forbidden,
    NoBackend,
    BackendTransportClosed,
    NoResolutionAvailable,
    NoConnectionToAllResolvedAddresses,
    TransportUnknownError,

    /// <summary>A request HTTP/2 calls malformed that Kestrel let through; its stream is reset with PROTOCOL_ERROR.</summary>
    MalformedRequest,
}
