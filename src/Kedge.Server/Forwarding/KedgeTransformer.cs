using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Server.Forwarding;

/// <summary>
/// What kedge changes on the way to the backend: the original Host is kept (as Go kedge does), kedge's own credentials
/// (<c>Proxy-Authorization</c>) never reach the backend, <c>X-Forwarded-For</c> gets the caller's address, and every
/// request carries an <c>X-Kedge-Request-ID</c> (kept or generated, and echoed in the response).
/// </summary>
internal sealed class KedgeTransformer : HttpTransformer
{
    public const string RequestIdHeader = "X-Kedge-Request-ID";

    public static readonly KedgeTransformer Instance = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        proxyRequest.Headers.Host = httpContext.Items[HostItem] as string ?? httpContext.Request.Host.Value;
        if (httpContext.Items[EndpointItem] is Backends.BackendEndpoint endpoint)
        {
            proxyRequest.Options.Set(Backends.Backend.EndpointOption, endpoint);
        }
        else if (httpContext.Items[KedgeProxyMiddleware.AdhocRuleItem] is Routing.AdhocRule rule)
        {
            proxyRequest.Options.Set(AdhocConnector.RuleOption, rule);
        }

        proxyRequest.Headers.Remove("Proxy-Authorization");
        proxyRequest.Headers.Remove("Proxy-Connection");

        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            var caller = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
            var existing = httpContext.Request.Headers["X-Forwarded-For"].ToString();
            proxyRequest.Headers.Remove("X-Forwarded-For");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", existing.Length == 0 ? caller : existing + ", " + caller);
        }

        var requestId = httpContext.Request.Headers[RequestIdHeader].ToString();
        if (requestId.Length == 0)
        {
            requestId = RequestIds.Next();
            proxyRequest.Headers.TryAddWithoutValidation(RequestIdHeader, requestId);
        }

        httpContext.Response.Headers[RequestIdHeader] = requestId;
    }

    /// <summary>The HttpContext item holding the authority the backend must see (set for absolute-form requests).</summary>
    public const string HostItem = "kedge.target-authority";

    /// <summary>The HttpContext item holding the picked backend endpoint.</summary>
    public const string EndpointItem = "kedge.endpoint";
}
