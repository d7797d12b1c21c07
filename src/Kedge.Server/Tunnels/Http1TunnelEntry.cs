using Kedge.Common;
using Kedge.Common.Http.Tunnels;
using Kedge.Server.Observability;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Tunnels;

/// <summary>
/// HTTP/1.1 CONNECT on the TLS proxy port: the connection middleware (<see cref="Http1ConnectTunnel{TContext}"/>)
/// takes the head off the connection, and this turns it into a request that goes through the same
/// <see cref="KedgeRequestTelemetry"/> and proxy as every other (so the same authorization, error answers, access
/// log line and request metrics), with the connection's TLS features (client certificate) and the head's headers
/// (<c>Proxy-Authorization</c>). A refusal written into that request's response is sent as an HTTP/1.1 answer, and
/// the connection is closed.
/// </summary>
internal sealed class Http1TunnelEntry
{
    private readonly KedgeRequestTelemetry _telemetry;
    private readonly IServiceScopeFactory _scopes;
    private readonly KedgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Http1ConnectTunnel<ConnectionContext> _tunnel;

    public Http1TunnelEntry(KedgeRequestTelemetry telemetry, IServiceScopeFactory scopes, KedgeMetrics metrics, Configuration.KedgeServerSettings settings, TimeProvider time, ILogger<Http1TunnelEntry> logger)
    {
        _telemetry = telemetry;
        _scopes = scopes;
        _metrics = metrics;
        _logger = logger;
        _tunnel = new Http1ConnectTunnel<ConnectionContext>(OnConnectAsync, OnBadHeadAsync, new Http1ConnectLimits { HeadTimeout = settings.HttpMaxReadTimeout }, time);
    }

    /// <summary>The connection middleware, placed after <c>UseHttps</c> on the TLS proxy listener.</summary>
    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        // ALPN chose HTTP/2: the connection starts with the HTTP/2 preface, never with an HTTP/1.1 CONNECT.
        if (connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true
            || !await _tunnel.TryTakeAsync(connection.Transport, connection, connection.ConnectionClosed))
        {
            await next(connection);
        }
    };

    private async Task OnConnectAsync(Http1ConnectHead head, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var tunnel = new Http1TunnelFeature(stream);
        var body = new MemoryStream();
        var context = new DefaultHttpContext(Features(head, connection, scope.ServiceProvider, body, tunnel, cancellationToken))
        {
            TraceIdentifier = connection.ConnectionId + ":00000001",
        };
        await _telemetry.InvokeAsync(context);
        if (tunnel.Established)
        {
            return;
        }

        var response = context.Response;
        var headers = response.Headers
            .Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty)));
        try
        {
            await Http1ConnectResponse.WriteRefusalAsync(stream, response.StatusCode, headers, System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The caller went away before reading the refusal.
        }
    }

    private async Task OnBadHeadAsync(Http1ConnectHeadError error, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
    {
        var (status, message) = error switch
        {
            Http1ConnectHeadError.TooLarge => (StatusCodes.Status431RequestHeaderFieldsTooLarge, $"the CONNECT request head is larger than {Http1ConnectLimits.DefaultMaxHeadBytes} bytes"),
            Http1ConnectHeadError.Timeout => (StatusCodes.Status408RequestTimeout, "the CONNECT request head did not arrive in time"),
            _ => (StatusCodes.Status400BadRequest, "malformed CONNECT request head: send 'CONNECT host:port HTTP/1.1', header lines ending in CRLF, no body"),
        };
        var kind = KedgeErrorKind.MalformedRequest;
        _metrics.ProxyError(string.Empty, kind.Name);
        KedgeServerLog.TunnelHeadRefused(_logger, message);
        try
        {
            await Http1ConnectResponse.WriteRefusalAsync(stream, status, [new(KedgeHeaders.Error, message), new(KedgeHeaders.ErrorType, kind.Name)], message, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The caller went away.
        }
    }

    private static FeatureCollection Features(Http1ConnectHead head, ConnectionContext connection, IServiceProvider services, MemoryStream body, Http1TunnelFeature tunnel, CancellationToken aborted)
    {
        // The connection's features (TLS: the client certificate; the listener's items) under the request's own.
        var features = new FeatureCollection(connection.Features);
        var headers = new HeaderDictionary();
        foreach (var (name, value) in head.Headers)
        {
            headers.Append(name, value);
        }

        // The target is the destination (RFC 9110 §9.3.6); a Host header that says otherwise does not route.
        ((IHeaderDictionary)headers).Host = head.Target;
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = head.Version,
            Method = HttpMethods.Connect,
            Scheme = "https",
            Path = string.Empty,
            RawTarget = head.Target,
            Headers = headers,
            Body = Stream.Null,
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        var remote = connection.RemoteEndPoint as System.Net.IPEndPoint;
        var local = connection.LocalEndPoint as System.Net.IPEndPoint;
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = services });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = aborted });
        features.Set<IHttpRequestIdentifierFeature>(new HttpRequestIdentifierFeature());
        features.Set(tunnel);
        return features;
    }
}
