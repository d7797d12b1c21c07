using Kedge.Common;

namespace Kedge.Winch.Proxy;

/// <summary>
/// Values of <c>X-Winch-Error-Type</c> and the headers winch adds. Only winch sends these types; the kedge headers and
/// <c>transport-unknown-error</c> come from the shared vocabulary (<see cref="KedgeErrorKind"/>, <see cref="KedgeHeaders"/>).
/// </summary>
internal static class WinchErrorTypes
{
    public const string ErrorHeader = "X-Winch-Error";
    public const string ErrorTypeHeader = "X-Winch-Error-Type";
    public const string RequestIdHeader = KedgeHeaders.RequestId;
    public const string InfoLogsHeader = KedgeHeaders.InfoLogs;

    /// <summary>The request could not be sent or answered (Go winch used this type for every failure).</summary>
    public const string TransportUnknownError = KedgeErrorTypeNames.TransportUnknownError;

    /// <summary>The target could not be mapped: an IP literal, or a regexp route that gave a bad URL.</summary>
    public const string MappingError = "mapping-error";

    /// <summary>An auth source failed to give a token.</summary>
    public const string AuthError = "auth-error";

    /// <summary>The request is of a kind winch does not proxy (an origin-form request for another host).</summary>
    public const string NotSupported = "not-supported";

    /// <summary>A CONNECT or <c>winch forward</c> destination that no route maps to a kedge: winch tunnels only through kedge.</summary>
    public const string NotKedgeDestination = "not-kedge-destination";
}
