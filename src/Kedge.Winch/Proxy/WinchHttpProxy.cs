using System.Diagnostics;
using Kedge.Client;
using Kedge.Client.Http;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Common;
using Kedge.Winch.Commands;
using Kedge.Winch.Dashboard;
using Kedge.Winch.Hosting;
using Kedge.Winch.Internal;
using Kedge.Winch.Observability;
using Kedge.Winch.Tracing;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Winch.Proxy;

/// <summary>
/// winch's HTTP forward proxy (Go winch's pkg/winch/http): an absolute-form request is mapped by host[:port]; a kedge
/// destination goes to its kedge over TLS (HTTP/2) in origin form with <c>Host</c> = the original authority and the
/// route's tokens, anything else goes directly to the target. Failures in winch answer 502 with
/// <c>X-Winch-Error</c> and <c>X-Winch-Error-Type</c>; kedge's own error answers pass through untouched.
/// </summary>
internal sealed class WinchHttpProxy
{
    private static readonly ForwarderRequestConfig ToKedge = new()
    {
        // Kedge.Client sends HTTP/2 over its own TLS to kedge (one multiplexed, pooled connection per kedge).
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromMinutes(30),
    };

    // A WebSocket upgrade goes to kedge as HTTP/2 extended CONNECT (RFC 8441), on winch's HTTP/2 connection to it. YARP
    // picks extended CONNECT only with an exact HTTP/2 policy when the destination prefix is http:// (as winch's is: the
    // target's); with ToKedge it would open an HTTP/1.1 upgrade on a separate connection.
    private static readonly ForwarderRequestConfig ToKedgeWebSocket = new()
    {
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = TimeSpan.FromMinutes(30),
    };

    private static readonly ForwarderRequestConfig ToHttp1Kedge = new()
    {
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromMinutes(30),
    };

    private static readonly ForwarderRequestConfig Direct = new()
    {
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        ActivityTimeout = TimeSpan.FromMinutes(30),
    };

    private readonly IHttpForwarder _forwarder;
    private readonly WinchKedgeClients _clients;
    private readonly WinchRequestTransformer _transformer;
    private readonly WinchMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly WinchRecentErrors? _recentErrors;

    // Kedges that refused HTTP/2 in the TLS handshake; they get HTTP/1.1 from then on.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _http1Kedges = new(StringComparer.OrdinalIgnoreCase);

    // Kedges that speak HTTP/2 without extended CONNECT (Go kedge); their WebSockets are HTTP/1.1 upgrades from then on.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _noExtendedConnectKedges = new(StringComparer.OrdinalIgnoreCase);

    public WinchHttpProxy(IHttpForwarder forwarder, WinchKedgeClients clients, WinchSettings settings, WinchMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory, WinchRecentErrors? recentErrors = null)
    {
        _recentErrors = recentErrors;
        _forwarder = forwarder;
        _clients = clients;
        _transformer = new WinchRequestTransformer(settings.DebugMode, dropProxyHeaders: true);
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("Kedge.Winch.HttpProxy");
    }

    /// <summary>
    /// True when the request is for winch itself: origin form with no host or a loopback host
    /// (<see cref="WinchLoopbackHost"/>; Go winch matched a prefix, so <c>localhost.example.com</c> was served locally).
    /// </summary>
    public static bool IsForWinch(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        if (!rawTarget.StartsWith('/'))
        {
            return false;
        }

        var host = context.Request.Host.Host;
        return host.Length == 0 || WinchLoopbackHost.Is(host);
    }

    public Task ProxyAsync(HttpContext context)
    {
        // Without a span, no async layer (and its state machine) around the proxying.
        if (!WinchTracing.Source.HasListeners())
        {
            return ProxyCoreAsync(context, span: null);
        }

        var span = WinchTracing.StartServerSpan(context, "winch " + WinchTracing.MethodTag(context.Request.Method));
        return span is null ? ProxyCoreAsync(context, span: null) : ProxyTracedAsync(context, span);
    }

    private async Task ProxyTracedAsync(HttpContext context, Activity span)
    {
        using var owned = span;
        span.SetTag("http.request.method", WinchTracing.MethodTag(context.Request.Method));
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

        var status = context.Response.StatusCode;
        span.SetTag("http.response.status_code", status);
        var errorType = context.Response.Headers[WinchErrorTypes.ErrorTypeHeader].ToString() is { Length: > 0 } winchError ? winchError
            : context.Response.Headers[KedgeHeaders.ErrorType].ToString() is { Length: > 0 } kedgeError ? kedgeError
            : status >= 500 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : null;
        if (errorType is not null)
        {
            span.SetTag("error.type", errorType);
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    private async Task ProxyCoreAsync(HttpContext context, Activity? span)
    {
        var started = _timeProvider.GetTimestamp();
        if (HttpMethods.IsConnect(context.Request.Method))
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
            // A CONNECT that opens a connection is tunnelled (WinchConnectEntry, before Kestrel's parser); one sent after
            // another request on a kept-alive connection reaches Kestrel, which cannot tunnel it.
            WinchLog.ConnectRefused(_logger, target);
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            context.Response.Headers.Connection = "close";
            SetWinchError(context, WinchErrorTypes.NotSupported, $"winch tunnels CONNECT {target} only as the first request of a connection; open a new connection for it");
            _metrics.HttpRequest("refused", 501, TimeSpan.Zero);
            return;
        }

        if (!TryGetTarget(context, out var uri))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            SetWinchError(context, WinchErrorTypes.NotSupported, "winch proxies absolute-form http:// requests only (use winch as HTTP_PROXY); an origin-form request is served only for winch's own host (127.0.0.1, localhost)");
            _metrics.HttpRequest("refused", 400, TimeSpan.Zero);
            return;
        }

        span?.SetTag("kedge.target", uri.Authority);
        KedgeRoute? route;
        try
        {
            var mapperPort = uri.IsDefaultPort && uri.Scheme == Uri.UriSchemeHttp ? (int?)null : uri.Port;
            route = _clients.Http.Mapper.Map(uri.IdnHost, mapperPort);
        }
        catch (KedgeMappingException ex)
        {
            Fail(context, uri.Authority, WinchErrorTypes.MappingError, ex.Message, ex);
            _metrics.HttpRequest("refused", 502, _timeProvider.GetElapsedTime(started));
            return;
        }

        span?.SetTag("winch.via", route is null ? "direct" : "kedge");
        if (route is not null)
        {
            span?.SetTag("kedge.url", route.KedgeUrl.GetLeftPart(UriPartial.Authority));
        }

        var prefix = uri.GetLeftPart(UriPartial.Authority);
        var config = route is null ? Direct
            : _http1Kedges.ContainsKey(route.KedgeUrl.Authority) ? ToHttp1Kedge
            : IsWebSocket(context) && !_noExtendedConnectKedges.ContainsKey(route.KedgeUrl.Authority) ? ToKedgeWebSocket
            : ToKedge;
        var error = await _forwarder.SendAsync(context, prefix, _clients.HttpInvoker, config, _transformer).ConfigureAwait(false);
        if (error == ForwarderError.Request && route is not null && config == ToKedgeWebSocket && !context.Response.HasStarted
            && IsExtendedConnectNotSupported(context.GetForwarderErrorFeature()?.Exception))
        {
            // The kedge's HTTP/2 does not take extended CONNECT, which it says before anything is sent: send the
            // WebSocket again as an HTTP/1.1 upgrade (ToKedge: YARP upgrades over HTTP/1.1 for an http:// prefix).
            _noExtendedConnectKedges[route.KedgeUrl.Authority] = true;
            WinchLog.KedgeWithoutExtendedConnect(_logger, route.KedgeUrl);
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            config = ToKedge;
            error = await _forwarder.SendAsync(context, prefix, _clients.HttpInvoker, config, _transformer).ConfigureAwait(false);
        }

        if (error == ForwarderError.Request && route is not null && (config == ToKedge || config == ToKedgeWebSocket) && !context.Response.HasStarted
            && KedgeHttp2NotNegotiatedException.IsIn(context.GetForwarderErrorFeature()?.Exception))
        {
            // The kedge does not speak HTTP/2; nothing was sent, so send the request again over HTTP/1.1.
            _http1Kedges[route.KedgeUrl.Authority] = true;
            WinchLog.KedgeWithoutHttp2(_logger, route.KedgeUrl);
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            error = await _forwarder.SendAsync(context, prefix, _clients.HttpInvoker, ToHttp1Kedge, _transformer).ConfigureAwait(false);
        }

        var requestId = context.Items[WinchRequestTransformer.RequestIdItem] as string ?? string.Empty;
        if (error != ForwarderError.None)
        {
            var exception = context.GetForwarderErrorFeature()?.Exception;
            if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled)
            {
                return; // the caller went away
            }

            var type = exception is KedgeTokenSourceException ? WinchErrorTypes.AuthError : WinchErrorTypes.TransportUnknownError;
            var message = exception?.Message ?? error.ToString();
            if (route is null)
            {
                message = $"direct request to {uri.Authority} failed: {message}";
            }

            Fail(context, uri.Authority, type, message, exception, requestId);
        }
        else if (route is not null && context.Response.Headers.TryGetValue(KedgeHeaders.Error, out var kedgeError))
        {
            WinchLog.KedgeErrorResponse(_logger, uri.Authority, requestId, context.Response.StatusCode, context.Response.Headers[KedgeHeaders.ErrorType].ToString(), kedgeError.ToString());
            _recentErrors?.AddKedgeError(uri.Authority, context.Response.StatusCode, context.Response.Headers[KedgeHeaders.ErrorType].ToString());
        }
        else if (route is not null)
        {
            WinchLog.ProxiedThroughKedge(_logger, context.Request.Method, uri.Authority, route.KedgeUrl, context.Response.StatusCode, requestId);
        }
        else
        {
            WinchLog.ProxiedDirect(_logger, context.Request.Method, uri.Authority, context.Response.StatusCode);
        }

        _metrics.HttpRequest(route is null ? "direct" : "kedge", context.Response.StatusCode, _timeProvider.GetElapsedTime(started));
    }

    /// <summary>An HTTP/1.1 WebSocket upgrade (winch's port speaks HTTP/1.1 only).</summary>
    private static bool IsWebSocket(HttpContext context)
        => context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
            && string.Equals(context.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase);

    private static bool IsExtendedConnectNotSupported(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ExtendedConnectNotSupported })
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryGetTarget(HttpContext context, out Uri uri)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(rawTarget, UriKind.Absolute, out uri!) && uri.Host.Length > 0;
        }

        // Origin form with another host is refused (Go winch proxied it): a web page can send exactly that to winch by a
        // name that resolves to 127.0.0.1 (DNS rebinding) and read the answer, with the developer's credentials
        // injected, as same-origin; and winch would proxy a request for its own port back to itself, forever.
        uri = null!;
        return false;
    }

    private void Fail(HttpContext context, string target, string type, string message, Exception? exception, string requestId = "")
    {
        WinchLog.ProxyError(_logger, target, requestId, type, message, exception);
        _recentErrors?.Add(target, type, message);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status502BadGateway;
        SetWinchError(context, type, message);
    }

    private static void SetWinchError(HttpContext context, string type, string message)
    {
        // Header values are one line of visible ASCII.
        var clean = string.Concat(message.Select(c => c is >= ' ' and <= '~' ? c : ' '));
        context.Response.Headers[WinchErrorTypes.ErrorHeader] = clean;
        context.Response.Headers[WinchErrorTypes.ErrorTypeHeader] = type;
    }
}
