using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Server.Forwarding;

/// <summary>
/// What kedge changes on the way to the backend: the original Host is kept (as Go kedge does), kedge's own credentials
/// (<c>Proxy-Authorization</c>) never reach the backend, <c>X-Forwarded-For</c> gets the caller's address, and every
/// request carries an <c>X-Kedge-Request-ID</c> (kept or generated, and echoed in the response). One small instance per
/// request carries what the proxy decided (cheaper than <see cref="HttpContext.Items"/>, which allocates a dictionary).
/// </summary>
/// <param name="hostOverride">The authority the backend must see instead of the Host header (absolute-form requests).</param>
/// <param name="endpoint">The picked backend endpoint, for the load-balancing handler's retries and ejection.</param>
/// <param name="adhocRule">The adhoc rule the request goes out under, for the adhoc connector's checks.</param>
/// <param name="resendIdempotentOnce">The route's <c>ResendIdempotentOnce</c>, for the load-balancing handler.</param>
internal sealed class KedgeTransformer(string? hostOverride, Backends.BackendEndpoint? endpoint, Routing.AdhocRule? adhocRule, bool resendIdempotentOnce = false) : HttpTransformer
{
    public const string RequestIdHeader = "X-Kedge-Request-ID";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        proxyRequest.Headers.Host = hostOverride ?? httpContext.Request.Host.Value;
        if (endpoint is not null)
        {
            proxyRequest.Options.Set(Backends.Backend.EndpointOption, endpoint);
            if (resendIdempotentOnce)
            {
                proxyRequest.Options.Set(Backends.Backend.ResendIdempotentOnceOption, true);
            }
        }
        else if (adhocRule is not null)
        {
            proxyRequest.Options.Set(AdhocConnector.RuleOption, adhocRule);
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
}
