using System.Diagnostics;
using System.Net;
using Kedge.Common;
using Kedge.Server.Authorization;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Management;
using Kedge.Server.Observability;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Server.Forwarding;

/// <summary>
/// The proxy: matches the request to a route (gRPC by content type, HTTP otherwise), checks the route's authorization,
/// picks an endpoint of the route's backend round robin, and forwards with YARP's <see cref="IHttpForwarder"/>. When no
/// route matches, an adhoc rule may claim the name. Every failure is answered through <see cref="KedgeErrors"/>.
/// </summary>
internal sealed class KedgeProxyMiddleware(KedgeRuntime runtime, IHttpForwarder forwarder, KedgeErrors errors, KedgeMetrics metrics, KedgeAuthorizer authorizer, AdhocConnector adhoc, Tunnels.TunnelProxy tunnels, KedgeServerSettings settings)
{
    private readonly ForwardedHeadersMode _forwardedHeaders = settings.ForwardedHeaders;

    /// <summary>The backend name adhoc requests are counted under (as in Go).</summary>
    public const string AdhocBackendName = "_adhoc";

    private RequestStats? _adhocHttpStats;
    private RequestStats? _adhocGrpcStats;

    private const string UnknownRoute = "unknown route to service";

    // Streams (watches, long polls, gRPC streams) may be quiet for long; only a day of silence ends one.
    private static readonly TimeSpan IdleLimit = TimeSpan.FromDays(1);

    private static readonly ForwarderRequestConfig PlainHttp = new() { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = IdleLimit };
    private static readonly ForwarderRequestConfig TlsHttp = new() { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = IdleLimit };
    private static readonly ForwarderRequestConfig Grpc = new() { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = IdleLimit };

    public Task InvokeAsync(HttpContext context)
    {
        if (ConnectionSpecificHeaders.Find(context.Request) is { } header)
        {
            return errors.RefuseMalformedAsync(context, $"an {context.Request.Protocol} request must not carry the connection-specific header '{header}' (RFC 9113 section 8.2.2)");
        }

        var snapshot = runtime.Current;
        if (IsGrpc(context.Request))
        {
            if (context.Features.Get<KedgeRequestFeature>() is { } request)
            {
                request.IsGrpc = true;
            }

            return ProxyGrpcAsync(context, snapshot);
        }

        // The gRPC port serves gRPC only, as Go kedge's gRPC server did.
        return Hosting.KedgeServerApp.OnGrpcPort(context) && !IsTunnel(context)
            ? errors.ReportAsync(context, KedgeErrorKind.UnsupportedMediaType, "the gRPC port serves only gRPC (content-type application/grpc); send HTTP to the TLS proxy port", backend: string.Empty, isGrpc: false)
            : ProxyHttpAsync(context, snapshot);
    }

    /// <summary>A CONNECT that asks for a TCP tunnel (every CONNECT but an RFC 8441 WebSocket).</summary>
    private static bool IsTunnel(HttpContext context)
        => HttpMethods.IsConnect(context.Request.Method) && !Tunnels.TunnelProxy.IsWebSocket(context);

    /// <summary>gRPC is recognised by content type: <c>application/grpc</c>, but not <c>application/grpc-web</c>.</summary>
    public static bool IsGrpc(HttpRequest request)
    {
        var contentType = request.ContentType;
        return contentType is not null
            && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);
    }

    // The proxy path is written without async methods up to the forwarder's call, except where a route needs
    // authorization: every async method that awaits the forwarder costs one allocation per request.
    private Task ProxyHttpAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        // A CONNECT opens a TCP tunnel (HTTP/2 CONNECT, or extended CONNECT with :protocol connect-tcp; HTTP/1.1
        // CONNECT arrives through the connection middleware). Extended CONNECT for WebSockets (RFC 8441) is an HTTP
        // request like any other: it is routed by host and path below.
        if (IsTunnel(context))
        {
            return tunnels.ProxyAsync(context, snapshot);
        }

        var target = RequestTarget.From(context);
        if (target.Error is not null)
        {
            // The caller's error, whatever the routes say: refused before routing, so it never reaches a backend.
            return errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, target.Error, backend: string.Empty, isGrpc: false);
        }

        // For absolute-form requests the backend sees the target's authority, as Go kedge sent it.
        var hostOverride = target.IsForwardProxy ? target.Authority : null;
        var route = snapshot.Routes.MatchHttp(target, context.Request.Headers);
        if (route is null)
        {
            return ProxyAdhocAsync(context, snapshot, target.Host, target.NamedPort, target.Authority, isGrpc: false, hostOverride);
        }

        var pathRefusal = route.PathRefusal(target);
        return route.Policy is null
            ? ForwardHttpAsync(context, snapshot, route, hostOverride, pathRefusal)
            : AuthorizeThenAsync(context, route.Policy, isGrpc: false, () => ForwardHttpAsync(context, snapshot, route, hostOverride, pathRefusal));
    }

    private Task ForwardHttpAsync(HttpContext context, KedgeSnapshot snapshot, HttpRoute route, string? hostOverride, string? pathRefusal)
    {
        if (pathRefusal is not null)
        {
            // After authorization, so a caller the route does not admit learns nothing of its path rules.
            return errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, pathRefusal, route.Backend, isGrpc: false);
        }

        if (!snapshot.HttpBackends.TryGetValue(route.Backend, out var backend))
        {
            return errors.ReportAsync(context, KedgeErrorKind.NoBackend, $"unknown backend {route.Backend}", route.Backend, isGrpc: false, writeBody: false);
        }

        context.Response.Headers["x-kedge-backend-name"] = backend.Name;
        Matched(context, route.MetricName, backend.Name, route.Stats ??= metrics.StatsFor(route.MetricName, backend.Name, "http"));
        return ForwardAsync(context, backend, backend.UsesTls ? TlsHttp : PlainHttp, isGrpc: false, hostOverride, route.ResendIdempotentOnce);
    }

    private Task ProxyGrpcAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        var fullMethod = (context.Request.Path.Value ?? string.Empty).TrimStart('/');
        var authority = context.Request.Host.Value ?? string.Empty;
        if (!RequestTarget.TryParseAuthority(authority, out var host, out var port))
        {
            return errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, RequestTarget.InvalidAuthority(authority), backend: string.Empty, isGrpc: true);
        }

        // No port (NoPort) never matches a route's port matcher; adhoc rules use their default.
        var route = snapshot.Routes.MatchGrpc(fullMethod, host, port, context.Request.Headers);
        if (route is null)
        {
            return ProxyAdhocAsync(context, snapshot, host, port, authority, isGrpc: true, hostOverride: null);
        }

        return route.Policy is null
            ? ForwardGrpcAsync(context, snapshot, route)
            : AuthorizeThenAsync(context, route.Policy, isGrpc: true, () => ForwardGrpcAsync(context, snapshot, route));
    }

    private Task ForwardGrpcAsync(HttpContext context, KedgeSnapshot snapshot, GrpcRoute route)
    {
        if (!snapshot.GrpcBackends.TryGetValue(route.Backend, out var backend))
        {
            return errors.ReportAsync(context, KedgeErrorKind.NoBackend, $"unknown backend {route.Backend}", route.Backend, isGrpc: true);
        }

        context.Response.Headers["x-kedge-backend-name"] = backend.Name;
        Matched(context, route.MetricName, backend.Name, route.Stats ??= metrics.StatsFor(route.MetricName, backend.Name, "grpc"));
        return ForwardAsync(context, backend, Grpc, isGrpc: true, hostOverride: null, resendIdempotentOnce: false);
    }

    private async Task AuthorizeThenAsync(HttpContext context, AuthorizationPolicy policy, bool isGrpc, Func<Task> proceed)
    {
        if (await AuthorizeAsync(context, policy, isGrpc))
        {
            await proceed();
        }
    }

    // Not async: one state machine fewer per request on the path every proxied request takes.
    private static void Matched(HttpContext context, string route, string backend, RequestStats stats)
    {
        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            request.Route = route;
            request.Backend = backend;
            request.Stats = stats;
        }
    }

    private Task ForwardAsync(HttpContext context, Backend backend, ForwarderRequestConfig config, bool isGrpc, string? hostOverride, bool resendIdempotentOnce)
    {
        var pick = backend.Pick();
        if (pick.Endpoint is null)
        {
            var (type, message) = pick.Failure == Backend.PickFailure.NoEndpoints
                ? (KedgeErrorKind.NoResolutionAvailable, $"lb: no backend is available for {backend.Name}. 0 resolved addresses.")
                : (KedgeErrorKind.NoConnectionToAllResolvedAddresses, $"lb: failed choosing valid target for {backend.Name}: all targets are failing, try later.");
            return errors.ReportAsync(context, type, message, backend.Name, isGrpc, writeBody: false);
        }

        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            request.Endpoint = pick.Endpoint.Authority;
        }

        var transformer = new KedgeTransformer(hostOverride, pick.Endpoint, adhocRule: null, _forwardedHeaders, resendIdempotentOnce);
        return SendAsync(context, backend.PrefixFor(pick.Endpoint), backend.Invoker, transformer, config, backend.Name, isGrpc);
    }

    /// <summary>
    /// No route matched: the first adhoc rule whose name matcher matches decides (Go semantics). Without one, the request
    /// is checked against the default authorization first, so an unauthenticated caller learns nothing of the routes.
    /// </summary>
    private async Task ProxyAdhocAsync(HttpContext context, KedgeSnapshot snapshot, string host, int namedPort, string authority, bool isGrpc, string? hostOverride)
    {
        var rule = snapshot.Routes.MatchAdhoc(host, isGrpc);
        if (rule is null)
        {
            if (!await AuthorizeAsync(context, snapshot.Routes.DefaultPolicy, isGrpc))
            {
                return;
            }

            if (IPAddress.TryParse(host, out _))
            {
                await errors.ReportAsync(context, KedgeErrorKind.Forbidden, $"kedge does not proxy to IP addresses ({host}); call the service by a name that a route or adhoc rule claims", backend: string.Empty, isGrpc);
                return;
            }

            await errors.ReportAsync(context, KedgeErrorKind.NoRoute, UnknownRoute, backend: string.Empty, isGrpc);
            return;
        }

        if (!await AuthorizeAsync(context, rule.Policy, isGrpc))
        {
            return;
        }

        var port = namedPort == RequestTarget.NoPort ? rule.DefaultPort : namedPort;
        if (!rule.AllowsPort(port))
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"adhoc: port {port} is not allowed", AdhocBackendName, isGrpc);
            return;
        }

        var name = rule.NameToResolve(host);
        if (name is null)
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"adhoc: cannot resolve {authority} host: the replace pattern '{rule.ReplacePattern}' does not occur in the host; configuration error in {rule.Description}", AdhocBackendName, isGrpc, StatusCodes.Status502BadGateway);
            return;
        }

        if (IPAddress.TryParse(name, out _))
        {
            await errors.ReportAsync(context, KedgeErrorKind.Forbidden, $"adhoc: {host} rewrites to the IP address {name}; kedge does not proxy to IP addresses ({rule.Description})", AdhocBackendName, isGrpc);
            return;
        }

        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            // The name and port kedge connects to; which of the name's addresses answers is decided per connection.
            request.Endpoint = $"{name}:{port}";
        }

        Matched(context, AdhocBackendName, AdhocBackendName, isGrpc ? _adhocGrpcStats ??= metrics.StatsFor(AdhocBackendName, AdhocBackendName, "grpc") : _adhocHttpStats ??= metrics.StatsFor(AdhocBackendName, AdhocBackendName, "http"));
        var transformer = new KedgeTransformer(hostOverride, endpoint: null, rule, _forwardedHeaders);
        await SendAsync(context, AdhocConnector.DestinationPrefix(name, port), adhoc.Invoker, transformer, isGrpc ? Grpc : PlainHttp, AdhocBackendName, isGrpc);
    }

    private async ValueTask<bool> AuthorizeAsync(HttpContext context, AuthorizationPolicy? policy, bool isGrpc)
    {
        if (policy is null)
        {
            return true;
        }

        var outcome = await authorizer.AuthorizeAsync(context, policy);
        if (outcome.Allowed)
        {
            return true;
        }

        await errors.ReportAsync(context, outcome.ErrorType, outcome.Message, backend: string.Empty, isGrpc);
        return false;
    }

    // The request is counted by KedgeRequestTelemetry after this returns, so a refused adhoc destination counts as the
    // 403/400 the caller saw.
    private async Task SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker invoker, KedgeTransformer transformer, ForwarderRequestConfig config, string backendName, bool isGrpc)
    {
        var error = await forwarder.SendAsync(context, destinationPrefix, invoker, config, transformer);
        await ReportForwarderErrorAsync(context, error, backendName, isGrpc);
        if (error == ForwarderError.None)
        {
            errors.LogProxiedForCaller(context, backendName);
        }
    }

    private async Task ReportForwarderErrorAsync(HttpContext context, ForwarderError error, string backendName, bool isGrpc)
    {
        if (error == ForwarderError.None)
        {
            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient)
        {
            return; // the caller went away or sent a broken body: not the backend's fault; YARP has set the status
        }

        if (FindInChain<AdhocException>(exception) is { } refused)
        {
            await errors.ReportAsync(context, refused.Type, refused.Message, backendName, isGrpc, refused.HttpStatus);
            return;
        }

        var unavailable = FindInChain<BackendUnavailableException>(exception);
        if (unavailable is not null)
        {
            await errors.ReportAsync(context, KedgeErrorKind.NoConnectionToAllResolvedAddresses, unavailable.Message, backendName, isGrpc, writeBody: false);
            return;
        }

        await errors.ReportAsync(context, KedgeErrorKind.TransportUnknownError, exception?.Message ?? error.ToString(), backendName, isGrpc, writeBody: false);
    }

    private static T? FindInChain<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }
}
