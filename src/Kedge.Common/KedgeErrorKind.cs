using Grpc.Core;

namespace Kedge.Common;

/// <summary>
/// Kedge's error vocabulary, defined once: each type kedge sends in <c>X-Kedge-Error-Type</c> (the Go kedge vocabulary,
/// plus <c>forbidden</c>, <c>method-not-allowed</c>, <c>unsupported-media-type</c> and <c>malformed-request</c>), with
/// its HTTP status, its gRPC status and its meaning. kedge reports with it, Kedge.Client maps what it reads with it, and
/// winch reuses <see cref="TransportUnknownError"/>. The READMEs' error tables are checked against it by a test.
/// </summary>
public sealed class KedgeErrorKind
{
    private KedgeErrorKind(string name, string meaning, bool isCallerCaused, bool sentByGoKedgeOnly, params KedgeErrorAnswer[] answers)
    {
        Name = name;
        Meaning = meaning;
        IsCallerCaused = isCallerCaused;
        SentByGoKedgeOnly = sentByGoKedgeOnly;
        Answers = answers;
    }

    /// <summary>The caller's credentials are missing or invalid.</summary>
    public static KedgeErrorKind Unauthorized { get; } = new(KedgeErrorTypeNames.Unauthorized, "The caller's credentials are missing or invalid.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(401, StatusCode.Unauthenticated, "credential missing, malformed (`Bearer  x`), expired, not yet valid, wrong audience or issuer, bad signature, unknown key; no client certificate where a route needs one"));

    /// <summary>The caller is known but may not reach this target.</summary>
    public static KedgeErrorKind Forbidden { get; } = new(KedgeErrorTypeNames.Forbidden, "The caller is known but may not reach this target.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(403, StatusCode.PermissionDenied, "valid caller without the permission or identity the route needs; IP-literal target; adhoc name that rewrites to an IP address or resolves only to reserved addresses"));

    /// <summary>No route or adhoc rule claims the target.</summary>
    public static KedgeErrorKind NoRoute { get; } = new(KedgeErrorTypeNames.NoRoute, "No route or adhoc rule claims the target.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(502, StatusCode.Unimplemented, "nothing claims the name (message and body `unknown route to service`; for CONNECT: no tunnel route or adhoc rule claims it)"));

    /// <summary>The request could not be routed as written, or an adhoc name does not resolve.</summary>
    public static KedgeErrorKind UnknownRouteError { get; } = new(KedgeErrorTypeNames.UnknownRouteError, "The request could not be routed as written, or an adhoc name does not resolve.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(400, StatusCode.InvalidArgument, "port not a number from 1 to 65535 in Host, `:authority` or an absolute target (before routing); adhoc or tunnel route port not allowed; CONNECT target without a port; extended CONNECT protocol other than `connect-tcp` or `websocket`; ambiguous path on a route with path rules"),
        new KedgeErrorAnswer(502, StatusCode.NotFound, "adhoc name does not resolve, or the rule's replace pattern does not occur in it"));

    /// <summary>The request method is one kedge does not serve on this port (<c>CONNECT</c> outside the TLS proxy port's tunnels).</summary>
    public static KedgeErrorKind MethodNotAllowed { get; } = new(KedgeErrorTypeNames.MethodNotAllowed, "The request method is one kedge does not serve on this port.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(405, StatusCode.Unimplemented, "`CONNECT` on the gRPC port or the admin port (tunnels are served on the TLS proxy port only), or an HTTP/1.1 `CONNECT` that is not the first request of its connection"));

    /// <summary>A request that is not gRPC reached the separate gRPC port.</summary>
    public static KedgeErrorKind UnsupportedMediaType { get; } = new(KedgeErrorTypeNames.UnsupportedMediaType, "A request that is not gRPC reached the separate gRPC port.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(415, StatusCode.Unimplemented, "a request without content type `application/grpc` on the separate gRPC port (`server_grpc_tls_port`)"));

    /// <summary>The request is malformed as HTTP says.</summary>
    public static KedgeErrorKind MalformedRequest { get; } = new(KedgeErrorTypeNames.MalformedRequest, "The request is malformed as HTTP says.", isCallerCaused: true, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(400, StatusCode.InvalidArgument, "HTTP/2 request carrying a connection-specific header (`keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`; RFC 9113 §8.2.2): the stream is reset with `PROTOCOL_ERROR` (a 400 only where a stream cannot be reset); counted"));

    /// <summary>The route names a backend kedge does not have.</summary>
    public static KedgeErrorKind NoBackend { get; } = new(KedgeErrorTypeNames.NoBackend, "The route names a backend kedge does not have.", isCallerCaused: false, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "the route's backend is missing (the configuration validator prevents it; Go kedge sent it between updates)"));

    /// <summary>The backend resolved to no addresses.</summary>
    public static KedgeErrorKind NoResolutionAvailable { get; } = new(KedgeErrorTypeNames.NoResolutionAvailable, "The backend resolved to no addresses.", isCallerCaused: false, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "backend resolved to nothing"));

    /// <summary>Every resolved address of the backend failed to connect.</summary>
    public static KedgeErrorKind NoConnectionToAllResolvedAddresses { get; } = new(KedgeErrorTypeNames.NoConnectionToAllResolvedAddresses, "Every resolved address of the backend failed to connect.", isCallerCaused: false, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "every endpoint (or every allowed address of an adhoc name) failed to connect"));

    /// <summary>Another transport error between kedge and the backend (winch sends it too, for its own failures).</summary>
    public static KedgeErrorKind TransportUnknownError { get; } = new(KedgeErrorTypeNames.TransportUnknownError, "Another transport error between kedge and the backend.", isCallerCaused: false, sentByGoKedgeOnly: false,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "other transport failure (TLS to the backend, reset, …)"));

    /// <summary>Go kedge only: the backend was closed while the request was in flight.</summary>
    public static KedgeErrorKind BackendTransportClosed { get; } = new(KedgeErrorTypeNames.BackendTransportClosed, "Go kedge only: the backend was closed while the request was in flight.", isCallerCaused: false, sentByGoKedgeOnly: true,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "Go kedge only: a backend closed by a reconfiguration (kedge for .NET lets in-flight requests finish)"));

    /// <summary>Go kedge only: the backend's resolver failed for good.</summary>
    public static KedgeErrorKind ResolverWatcherIrrecoverable { get; } = new(KedgeErrorTypeNames.ResolverWatcherIrrecoverable, "Go kedge only: the backend's resolver failed for good.", isCallerCaused: false, sentByGoKedgeOnly: true,
        new KedgeErrorAnswer(502, StatusCode.Unavailable, "Go kedge only: the backend's resolver failed for good (kedge for .NET keeps the last addresses and retries)"));

    /// <summary>Every type, in the order the documentation lists them.</summary>
    public static IReadOnlyList<KedgeErrorKind> All { get; } =
    [
        Unauthorized, Forbidden, UnknownRouteError, MalformedRequest, MethodNotAllowed, UnsupportedMediaType, NoRoute,
        NoBackend, NoResolutionAvailable, NoConnectionToAllResolvedAddresses, TransportUnknownError,
        BackendTransportClosed, ResolverWatcherIrrecoverable,
    ];

    /// <summary>The value of <c>X-Kedge-Error-Type</c>.</summary>
    public string Name { get; }

    /// <summary>What the type means, in one sentence.</summary>
    public string Meaning { get; }

    /// <summary>
    /// Whether the caller's request is the cause (credentials, an unknown or unroutable name, a refused method or
    /// destination, a malformed request). kedge logs these at Debug only: any caller could flood a Warning log.
    /// </summary>
    public bool IsCallerCaused { get; }

    /// <summary>Whether only Go kedge sends this type; Kedge.Client still understands it.</summary>
    public bool SentByGoKedgeOnly { get; }

    /// <summary>The answers with this type; the first is the usual one.</summary>
    public IReadOnlyList<KedgeErrorAnswer> Answers { get; }

    /// <summary>The usual HTTP status.</summary>
    public int HttpStatus => Answers[0].HttpStatus;

    /// <summary>The gRPC status of the answer with <paramref name="httpStatus"/> (the usual one when none has it).</summary>
    /// <param name="httpStatus">The HTTP status kedge answers (or would answer) a plain HTTP request with.</param>
    /// <returns>The gRPC status for a gRPC call.</returns>
    public StatusCode GrpcStatusFor(int httpStatus)
    {
        foreach (var answer in Answers)
        {
            if (answer.HttpStatus == httpStatus)
            {
                return answer.GrpcStatus;
            }
        }

        return Answers[0].GrpcStatus;
    }

    /// <summary>The type named <paramref name="name"/> (as sent in <c>X-Kedge-Error-Type</c>), or <see langword="null"/>.</summary>
    /// <param name="name">The header value.</param>
    /// <returns>The type, or <see langword="null"/> for an empty or unknown name.</returns>
    public static KedgeErrorKind? Find(string? name)
    {
        foreach (var kind in All)
        {
            if (string.Equals(kind.Name, name, StringComparison.Ordinal))
            {
                return kind;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
