using System.Diagnostics;
using Grpc.Core;
using Kedge.Client;
using Kedge.Client.Http;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Common;
using Kedge.Winch.Internal;
using Kedge.Winch.Observability;
using Kedge.Winch.Tracing;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Winch.Proxy;

/// <summary>
/// winch's gRPC proxy (Go winch's pkg/winch/grpc): plain-text HTTP/2 calls whose <c>:authority</c> names the target are
/// forwarded, every call kind alike, to the target's kedge over TLS with <c>:authority</c> kept and the route's tokens
/// added as <c>proxy-authorization</c> / <c>authorization</c> metadata; the caller's own metadata passes through.
/// Connections to each kedge are pooled (Go winch dialled kedge for every call). Failures in winch end the call with a
/// trailers-only gRPC status.
/// </summary>
internal sealed class WinchGrpcProxy
{
    private static readonly ForwarderRequestConfig ToKedge = new()
    {
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,

        // Streams may be quiet for long; the caller's deadline (grpc-timeout) is what limits a call.
        ActivityTimeout = TimeSpan.FromHours(24),
    };

    private readonly IHttpForwarder _forwarder;
    private readonly WinchKedgeClients _clients;
    private readonly WinchRequestTransformer _transformer;
    private readonly WinchMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dashboard.WinchRecentErrors? _recentErrors;

    public WinchGrpcProxy(IHttpForwarder forwarder, WinchKedgeClients clients, WinchMetrics metrics, Commands.WinchSettings settings, ILoggerFactory loggerFactory, Dashboard.WinchRecentErrors? recentErrors = null)
    {
        _recentErrors = recentErrors;
        _forwarder = forwarder;
        _clients = clients;
        _transformer = new WinchRequestTransformer(settings.DebugMode, dropProxyHeaders: false);
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("Kedge.Winch.GrpcProxy");
    }

    public Task ProxyAsync(HttpContext context)
    {
        // Without a span, no async layer (and its state machine) around the proxying.
        if (!WinchTracing.Source.HasListeners())
        {
            return ProxyCoreAsync(context, span: null);
        }

        var path = context.Request.Path.Value ?? string.Empty;

        // gRPC's span name convention: package.Service/Method.
        var span = WinchTracing.StartServerSpan(context, path.TrimStart('/'));
        return span is null ? ProxyCoreAsync(context, span: null) : ProxyTracedAsync(context, span, path);
    }

    private async Task ProxyTracedAsync(HttpContext context, Activity span, string path)
    {
        using var owned = span;
        span.SetTag("rpc.system", "grpc");
        var slash = path.LastIndexOf('/');
        if (slash > 0)
        {
            span.SetTag("rpc.service", path[1..slash]);
            span.SetTag("rpc.method", path[(slash + 1)..]);
        }

        try
        {
            await ProxyCoreAsync(context, span).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            span.SetTag("error.type", ex.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }

        // Trailers-only answers (winch's and kedge's refusals) carry the status in the headers, others in the trailers.
        var grpcStatus = context.Response.Headers[GrpcTrailersOnly.StatusHeader].ToString();
        if (grpcStatus.Length == 0 && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>()?.Trailers is { } trailers)
        {
            grpcStatus = trailers[GrpcTrailersOnly.StatusHeader].ToString();
        }

        if (int.TryParse(grpcStatus, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            span.SetTag("rpc.grpc.status_code", code);
            if (code != 0)
            {
                span.SetTag("error.type", ((StatusCode)code).ToString());
                span.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    private async Task ProxyCoreAsync(HttpContext context, Activity? span)
    {
        var method = context.Request.Path.Value ?? string.Empty;
        var authority = context.Request.Host;
        if (!authority.HasValue)
        {
            Fail(context, method, "", StatusCode.InvalidArgument, "No :authority header. Cannot find the host; set the call's authority to the target (GrpcChannelOptions or the Host of the request)", null);
            return;
        }

        span?.SetTag("kedge.target", authority.Value);
        KedgeRoute? route;
        try
        {
            route = _clients.Grpc.Mapper.Map(authority.Host.Trim('[', ']'), authority.Port);
        }
        catch (KedgeMappingException ex)
        {
            Fail(context, method, authority.Value, StatusCode.InvalidArgument, ex.Message, ex);
            return;
        }

        if (route is null)
        {
            WinchLog.GrpcNotKedgeDestination(_logger, method, authority.Value);
            _metrics.GrpcCall("not-kedge-destination");
            WriteStatus(context, StatusCode.Unimplemented, $"{authority.Value} is not a kedge destination");
            return;
        }

        span?.SetTag("kedge.url", route.KedgeUrl.GetLeftPart(UriPartial.Authority));
        WinchLog.GrpcProxied(_logger, method, authority.Value, route.KedgeUrl);
        var error = await _forwarder.SendAsync(context, "http://" + authority.Value, _clients.GrpcInvoker, ToKedge, _transformer).ConfigureAwait(false);
        if (error == ForwarderError.None)
        {
            _metrics.GrpcCall("kedge");
            return;
        }

        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled)
        {
            _metrics.GrpcCall("cancelled");
            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        if (exception is KedgeTokenSourceException { TokenSourceName: var source })
        {
            Fail(context, method, authority.Value, StatusCode.Unauthenticated, $"winch could not get a token from auth source '{source}': {exception.InnerException?.Message ?? exception.Message}", exception);
            return;
        }

        Fail(context, method, authority.Value, StatusCode.Unavailable, $"winch could not reach kedge {route.KedgeUrl} for {authority.Value}: {exception?.Message ?? error.ToString()}", exception);
    }

    private void Fail(HttpContext context, string method, string authority, StatusCode status, string message, Exception? exception)
    {
        WinchLog.GrpcProxyError(_logger, method, authority, status.ToString(), message, exception);
        _recentErrors?.Add(authority, "grpc " + status.ToString(), message);
        _metrics.GrpcCall("error");
        WriteStatus(context, status, message);
    }

    /// <summary>A trailers-only gRPC response (<see cref="GrpcTrailersOnly"/>): status 200 and the status in the headers, no body.</summary>
    private static void WriteStatus(HttpContext context, StatusCode status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = GrpcTrailersOnly.HttpStatus;
        foreach (var (name, value) in GrpcTrailersOnly.Headers(status, message))
        {
            context.Response.Headers[name] = value;
        }
    }
}
