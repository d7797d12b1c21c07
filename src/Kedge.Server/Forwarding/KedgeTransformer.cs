using Kedge.Server.Configuration;
using Kedge.Server.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Server.Forwarding;

/// <summary>
/// What kedge changes on the way to the backend: the original Host is kept (as Go kedge does), hop-by-hop headers are
/// removed (YARP's list plus every header the caller's <c>Connection</c> names), kedge's own credentials
/// (<c>Proxy-Authorization</c>) never reach the backend, the forwarding headers follow <see cref="ForwardedHeadersMode"/>,
/// and every request carries a valid <c>X-Kedge-Request-ID</c> (kept or generated, and echoed in the response). One small
/// instance per request carries what the proxy decided (cheaper than <see cref="HttpContext.Items"/>, which allocates a
/// dictionary).
/// </summary>
/// <param name="hostOverride">The authority the backend must see instead of the Host header (absolute-form requests).</param>
/// <param name="endpoint">The picked backend endpoint, for the load-balancing handler's retries and ejection.</param>
/// <param name="adhocRule">The adhoc rule the request goes out under, for the adhoc connector's checks.</param>
/// <param name="forwardedHeaders">Whether caller-supplied forwarding headers are replaced (an edge) or appended to.</param>
/// <param name="resendIdempotentOnce">The route's <c>ResendIdempotentOnce</c>, for the load-balancing handler.</param>
internal sealed class KedgeTransformer(string? hostOverride, Backends.BackendEndpoint? endpoint, Routing.AdhocRule? adhocRule, ForwardedHeadersMode forwardedHeaders, bool resendIdempotentOnce = false) : HttpTransformer
{
    public const string RequestIdHeader = "X-Kedge-Request-ID";

    /// <summary>
    /// How outgoing handlers encode header values: UTF-8, the encoding Kestrel decoded the caller's bytes with, so a value
    /// like <c>café</c> reaches the backend byte for byte (as with Go kedge). The default (ASCII only) made such a request
    /// fail as a 502 transport error blamed on the backend.
    /// </summary>
    public static readonly HeaderEncodingSelector<HttpRequestMessage> RequestHeaderEncoding = static (_, _) => System.Text.Encoding.UTF8;

    private const string ForwardedForHeader = "X-Forwarded-For";

    // What a caller could claim about hops before kedge; at an edge none of it is true. (X-Forwarded-For is set instead.)
    private static readonly string[] CallerForwardingHeaders = ["Forwarded", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Port", "X-Real-IP"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        var headers = httpContext.Request.Headers;
        RemoveConnectionOptions(headers, proxyRequest);

        proxyRequest.Headers.Host = hostOverride ?? httpContext.Request.Host.Value;
        if (endpoint is not null)
        {
            proxyRequest.Options.Set(Backends.Backend.EndpointOption, endpoint);
            if (httpContext.Features.Get<Observability.KedgeRequestFeature>() is { } request)
            {
                proxyRequest.Options.Set(Observability.KedgeRequestFeature.Option, request);
            }

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

        SetForwardingHeaders(httpContext, headers, proxyRequest);

        var incoming = headers[RequestIdHeader];
        string requestId;
        if (incoming.Count == 1 && RequestIds.IsValid(incoming[0]))
        {
            requestId = incoming[0]!;
            // Copied to the backend by the base transform, unless the caller's Connection header named it: kedge's own.
            if (!proxyRequest.Headers.NonValidated.Contains(RequestIdHeader))
            {
                proxyRequest.Headers.TryAddWithoutValidation(RequestIdHeader, requestId);
            }
        }
        else
        {
            // Missing, repeated, too long or with bytes that cannot travel (control, space, non-ASCII): a fresh one, so a
            // caller's bad ID neither breaks the request nor reaches the backend and the logs.
            requestId = RequestIds.Next();
            if (incoming.Count > 0)
            {
                proxyRequest.Headers.Remove(RequestIdHeader);
            }

            proxyRequest.Headers.TryAddWithoutValidation(RequestIdHeader, requestId);
        }

        httpContext.Response.Headers[RequestIdHeader] = requestId;
        if (httpContext.Features.Get<KedgeRequestFeature>() is { } feature)
        {
            feature.RequestId = requestId;
        }
    }

    /// <summary>
    /// Removes every header the caller's <c>Connection</c> header names (RFC 9110 §7.6.1): they were meant for kedge's
    /// connection only. YARP removes its fixed list of hop-by-hop headers (Connection, Keep-Alive, TE other than
    /// trailers, Transfer-Encoding, Upgrade, HTTP2-Settings, Proxy-*) but not these. A WebSocket upgrade still works:
    /// YARP adds <c>Upgrade</c> and <c>Connection</c> back after the transform, for WebSocket (and SPDY) only.
    /// </summary>
    private static void RemoveConnectionOptions(IHeaderDictionary headers, HttpRequestMessage proxyRequest)
    {
        var connection = headers.Connection;
        if (connection.Count == 0
            || (connection.Count == 1 && string.Equals(connection[0], "keep-alive", StringComparison.OrdinalIgnoreCase)))
        {
            return; // the common HTTP/1.1 case: the only header it names, Keep-Alive, is one YARP removes itself
        }

        foreach (var value in connection)
        {
            foreach (var segment in new StringTokenizer(value ?? string.Empty, [',']))
            {
                var name = segment.Trim();
                // Content-Length frames the body on kedge's own connection to the backend; the caller cannot take it away.
                if (name.Length == 0 || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                // Remove throws for names that are not header names or belong to the other collection; Contains does not.
                var text = name.ToString();
                if (proxyRequest.Headers.NonValidated.Contains(text))
                {
                    proxyRequest.Headers.Remove(text);
                }
                else if (proxyRequest.Content?.Headers.NonValidated.Contains(text) == true)
                {
                    proxyRequest.Content.Headers.Remove(text);
                }
            }
        }
    }

    private void SetForwardingHeaders(HttpContext httpContext, IHeaderDictionary headers, HttpRequestMessage proxyRequest)
    {
        var append = forwardedHeaders == ForwardedHeadersMode.Append;
        if (!append)
        {
            foreach (var name in CallerForwardingHeaders)
            {
                if (headers.ContainsKey(name))
                {
                    proxyRequest.Headers.Remove(name);
                }
            }
        }

        proxyRequest.Headers.Remove(ForwardedForHeader);
        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            var caller = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
            var existing = append ? headers[ForwardedForHeader].ToString() : string.Empty;
            proxyRequest.Headers.TryAddWithoutValidation(ForwardedForHeader, existing.Length == 0 ? caller : existing + ", " + caller);
        }
    }
}
