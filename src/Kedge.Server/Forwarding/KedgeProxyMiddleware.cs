using System.Diagnostics;
using System.Net;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Observability;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Server.Forwarding;

/// <summary>
/// The proxy: matches the request to a route (gRPC by content type, HTTP otherwise), picks an endpoint of the route's
/// backend round robin, and forwards with YARP's <see cref="IHttpForwarder"/>. Every failure is answered through
/// <see cref="KedgeErrors"/>.
/// </summary>
internal sealed class KedgeProxyMiddleware(RequestDelegate next, KedgeRuntime runtime, IHttpForwarder forwarder, KedgeErrors errors, KedgeMetrics metrics)
{
    private const string UnknownRoute = "unknown route to service";

    // Streams (watches, long polls, gRPC streams) may be quiet for long; only a day of silence ends one.
    private static readonly TimeSpan IdleLimit = TimeSpan.FromDays(1);

    private static readonly ForwarderRequestConfig PlainHttp = new() { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = IdleLimit };
    private static readonly ForwarderRequestConfig TlsHttp = new() { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = IdleLimit };
    private static readonly ForwarderRequestConfig Grpc = new() { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = IdleLimit };

    // Kept for the pipeline's shape; kedge is terminal.
    private readonly RequestDelegate _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        _ = _next;
        var snapshot = runtime.Current;
        if (IsGrpc(context.Request))
        {
            return ProxyGrpcAsync(context, snapshot);
        }

        // The gRPC port serves gRPC only, as Go kedge's gRPC server did.
        return Hosting.KedgeServerApp.OnGrpcPort(context)
            ? errors.ReportAsync(context, KedgeErrorType.NoRoute, "the gRPC port serves only gRPC (content-type application/grpc); send HTTP to the TLS proxy port", backend: string.Empty, isGrpc: false, httpStatus: StatusCodes.Status415UnsupportedMediaType)
            : ProxyHttpAsync(context, snapshot);
    }

    /// <summary>gRPC is recognised by content type: <c>application/grpc</c>, but not <c>application/grpc-web</c>.</summary>
    public static bool IsGrpc(HttpRequest request)
    {
        var contentType = request.ContentType;
        return contentType is not null
            && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);
    }

    private async Task ProxyHttpAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        if (HttpMethods.IsConnect(context.Request.Method))
        {
            // Kedge does not tunnel (neither did Go kedge); say so rather than mis-proxy.
            context.Response.Headers.Allow = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
            await errors.ReportAsync(context, KedgeErrorType.NoRoute, "CONNECT is not supported: kedge does not tunnel", backend: string.Empty, isGrpc: false, httpStatus: StatusCodes.Status405MethodNotAllowed);
            return;
        }

        var target = RequestTarget.From(context);
        if (target.IsForwardProxy)
        {
            // The backend sees the authority of the absolute-form target, as Go kedge sent it.
            context.Items[KedgeTransformer.HostItem] = target.Authority;
        }

        var route = snapshot.Routes.MatchHttp(target, context.Request.Headers);
        if (route is null)
        {
            await errors.ReportAsync(context, KedgeErrorType.NoRoute, UnknownRoute, backend: string.Empty, isGrpc: false);
            return;
        }

        if (!snapshot.HttpBackends.TryGetValue(route.Backend, out var backend))
        {
            await errors.ReportAsync(context, KedgeErrorType.NoBackend, $"unknown backend {route.Backend}", route.Backend, isGrpc: false, writeBody: false);
            return;
        }

        context.Response.Headers["x-kedge-backend-name"] = backend.Name;
        await ForwardAsync(context, backend, backend.UsesTls ? TlsHttp : PlainHttp, isGrpc: false);
    }

    private async Task ProxyGrpcAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        var fullMethod = (context.Request.Path.Value ?? string.Empty).TrimStart('/');
        var (host, port) = RequestTarget.SplitAuthority(context.Request.Host.Value ?? string.Empty, defaultPort: -1);
        var route = snapshot.Routes.MatchGrpc(fullMethod, host, port, context.Request.Headers);
        if (route is null)
        {
            await errors.ReportAsync(context, KedgeErrorType.NoRoute, UnknownRoute, backend: string.Empty, isGrpc: true);
            return;
        }

        if (!snapshot.GrpcBackends.TryGetValue(route.Backend, out var backend))
        {
            await errors.ReportAsync(context, KedgeErrorType.NoBackend, $"unknown backend {route.Backend}", route.Backend, isGrpc: true);
            return;
        }

        context.Response.Headers["x-kedge-backend-name"] = backend.Name;
        await ForwardAsync(context, backend, Grpc, isGrpc: true);
    }

    private async Task ForwardAsync(HttpContext context, Backend backend, ForwarderRequestConfig config, bool isGrpc)
    {
        var pick = backend.Pick();
        if (pick.Endpoint is null)
        {
            var (type, message) = pick.Failure == Backend.PickFailure.NoEndpoints
                ? (KedgeErrorType.NoResolutionAvailable, $"lb: no backend is available for {backend.Name}. 0 resolved addresses.")
                : (KedgeErrorType.NoConnectionToAllResolvedAddresses, $"lb: failed choosing valid target for {backend.Name}: all targets are failing, try later.");
            await errors.ReportAsync(context, type, message, backend.Name, isGrpc, writeBody: false);
            return;
        }

        context.Items[KedgeTransformer.EndpointItem] = pick.Endpoint;
        var started = Stopwatch.GetTimestamp();
        var error = await forwarder.SendAsync(context, backend.PrefixFor(pick.Endpoint), backend.Invoker, config, KedgeTransformer.Instance);
        (backend.Stats ??= metrics.StatsFor(backend.Name, isGrpc ? "grpc" : "http")).Record(context.Response.StatusCode, Stopwatch.GetTimestamp() - started);
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

        var unavailable = FindInChain<BackendUnavailableException>(exception);
        if (unavailable is not null)
        {
            await errors.ReportAsync(context, KedgeErrorType.NoConnectionToAllResolvedAddresses, unavailable.Message, backend.Name, isGrpc, writeBody: false);
            return;
        }

        await errors.ReportAsync(context, KedgeErrorType.TransportUnknownError, exception?.Message ?? error.ToString(), backend.Name, isGrpc, writeBody: false);
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
