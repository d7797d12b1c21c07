using Kedge.Winch.Tracing;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Winch.Proxy;

/// <summary>
/// Shapes each request winch forwards: on the HTTP proxy the caller's proxy headers are dropped (they were for winch;
/// on the gRPC proxy all of the caller's metadata passes, as in Go winch), a fresh
/// <c>X-Kedge-Request-ID: winch-&lt;uuid&gt;</c> is set and, with <c>--debug_mode</c>, <c>X-Kedge-Info-Logs</c>. The
/// route's tokens, the kedge's address and <c>Host</c> = the original authority are set by Kedge.Client's handler.
/// </summary>
internal sealed class WinchRequestTransformer : HttpTransformer
{
    public const string RequestIdItem = "winch.request-id";

    private readonly string? _infoLogsValue;
    private readonly bool _dropProxyHeaders;

    public WinchRequestTransformer(bool debugMode, bool dropProxyHeaders)
    {
        _infoLogsValue = debugMode ? "winch-" + Environment.UserName : null;
        _dropProxyHeaders = dropProxyHeaders;
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        if (_dropProxyHeaders)
        {
            proxyRequest.Headers.Remove("Proxy-Authorization");
            proxyRequest.Headers.Remove("Proxy-Connection");
        }
        else if (httpContext.Request.Headers.TryGetValue("Proxy-Authorization", out var callers) && !proxyRequest.Headers.Contains("Proxy-Authorization"))
        {
            // The forwarder drops it as a hop-by-hop header, but on the gRPC port it is the caller's metadata for kedge.
            proxyRequest.Headers.TryAddWithoutValidation("Proxy-Authorization", (IEnumerable<string>)callers);
        }

        WinchTracing.DropCallerContext(proxyRequest);
        var requestId = "winch-" + Guid.NewGuid().ToString("D");
        httpContext.Items[RequestIdItem] = requestId;
        proxyRequest.Headers.Remove(WinchErrorTypes.RequestIdHeader);
        proxyRequest.Headers.TryAddWithoutValidation(WinchErrorTypes.RequestIdHeader, requestId);
        if (_infoLogsValue is not null)
        {
            proxyRequest.Headers.Remove(WinchErrorTypes.InfoLogsHeader);
            proxyRequest.Headers.TryAddWithoutValidation(WinchErrorTypes.InfoLogsHeader, _infoLogsValue);
        }
    }
}
