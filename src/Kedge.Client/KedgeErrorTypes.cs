using Kedge.Common;

namespace Kedge.Client;

/// <summary>
/// The values kedge sends in <c>X-Kedge-Error-Type</c>: the constants of <see cref="KedgeErrorTypeNames"/> (one definition,
/// shared with kedge and winch); <see cref="KedgeErrorKind"/> gives each one's HTTP status, gRPC status and meaning.
/// </summary>
public static class KedgeErrorTypes
{
    /// <inheritdoc cref="KedgeErrorTypeNames.Unauthorized"/>
    public const string Unauthorized = KedgeErrorTypeNames.Unauthorized;

    /// <inheritdoc cref="KedgeErrorTypeNames.Forbidden"/>
    public const string Forbidden = KedgeErrorTypeNames.Forbidden;

    /// <inheritdoc cref="KedgeErrorTypeNames.NoRoute"/>
    public const string NoRoute = KedgeErrorTypeNames.NoRoute;

    /// <inheritdoc cref="KedgeErrorTypeNames.UnknownRouteError"/>
    public const string UnknownRouteError = KedgeErrorTypeNames.UnknownRouteError;

    /// <inheritdoc cref="KedgeErrorTypeNames.MethodNotAllowed"/>
    public const string MethodNotAllowed = KedgeErrorTypeNames.MethodNotAllowed;

    /// <inheritdoc cref="KedgeErrorTypeNames.UnsupportedMediaType"/>
    public const string UnsupportedMediaType = KedgeErrorTypeNames.UnsupportedMediaType;

    /// <inheritdoc cref="KedgeErrorTypeNames.MalformedRequest"/>
    public const string MalformedRequest = KedgeErrorTypeNames.MalformedRequest;

    /// <inheritdoc cref="KedgeErrorTypeNames.NoBackend"/>
    public const string NoBackend = KedgeErrorTypeNames.NoBackend;

    /// <inheritdoc cref="KedgeErrorTypeNames.NoResolutionAvailable"/>
    public const string NoResolutionAvailable = KedgeErrorTypeNames.NoResolutionAvailable;

    /// <inheritdoc cref="KedgeErrorTypeNames.NoConnectionToAllResolvedAddresses"/>
    public const string NoConnectionToAllResolvedAddresses = KedgeErrorTypeNames.NoConnectionToAllResolvedAddresses;

    /// <inheritdoc cref="KedgeErrorTypeNames.TransportUnknownError"/>
    public const string TransportUnknownError = KedgeErrorTypeNames.TransportUnknownError;

    /// <inheritdoc cref="KedgeErrorTypeNames.BackendTransportClosed"/>
    public const string BackendTransportClosed = KedgeErrorTypeNames.BackendTransportClosed;

    /// <inheritdoc cref="KedgeErrorTypeNames.ResolverWatcherIrrecoverable"/>
    public const string ResolverWatcherIrrecoverable = KedgeErrorTypeNames.ResolverWatcherIrrecoverable;
}
