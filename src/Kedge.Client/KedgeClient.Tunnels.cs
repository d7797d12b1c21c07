using System.Globalization;
using System.Net;
using Kedge.Client.Http;
using Kedge.Client.Internal;
using Kedge.Client.Mapping;
using Kedge.Client.Tunnels;

namespace Kedge.Client;

/// <summary>Tunnels: a TCP byte stream to a named service, through the kedge that serves it.</summary>
public sealed partial class KedgeClient
{
    /// <summary>The <c>:protocol</c> of kedge's extended CONNECT for a TCP tunnel (RFC 8441's mechanism, kedge's protocol name).</summary>
    internal const string ConnectTcpProtocol = "connect-tcp";

    private HttpMessageInvoker? _tunnelInvoker;
    private Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? _tunnelConnectCallback;

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that opens each connection as a tunnel through the kedge the
    /// connection's host and port map to (<see cref="OpenTunnelAsync(string, int, CancellationToken)"/>): set it on a
    /// <see cref="SocketsHttpHandler"/> and an <c>https://</c> call's TLS runs end to end with the service, inside the tunnel.
    /// </summary>
    /// <remarks>
    /// A host no route maps fails the connection with <see cref="KedgeTunnelException"/>; the callback never connects
    /// anywhere directly. Kedge proxies plain HTTP calls without a tunnel: use <see cref="CreateHandler"/> for those.
    /// </remarks>
    public Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> TunnelConnectCallback
        => _tunnelConnectCallback ??= (context, cancellationToken) =>
        {
            ArgumentNullException.ThrowIfNull(context);
            return new ValueTask<Stream>(OpenTunnelAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken));
        };

    /// <summary>
    /// Opens a TCP tunnel to <paramref name="host"/>:<paramref name="port"/> through the kedge the mapper sends that
    /// target to, and returns its byte stream (read and write; dispose it to close the tunnel).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The tunnel is an HTTP/2 extended CONNECT (<c>:protocol connect-tcp</c>, <c>:authority host:port</c>) on the
    /// client's shared, mutually authenticated TLS connection to that kedge, sent through the same path as
    /// <see cref="KedgeHttpMessageHandler"/>'s calls: the route's <see cref="KedgeRoute.ProxyAuth"/> goes to kedge as
    /// <c>Proxy-Authorization</c>, which kedge consumes; the route's <see cref="KedgeRoute.BackendAuth"/> is not sent (a
    /// tunnel has no HTTP request for it to go with). Kedge decides with its tunnel routes and adhoc rules whether the
    /// destination may be reached; nothing but the bytes written to the stream reaches the destination.
    /// </para>
    /// <para>
    /// The tunnel needs a kedge that speaks HTTP/2 over TLS (<c>https://</c>) and accepts tunnels on that port.
    /// <paramref name="cancellationToken"/> cancels the opening only; once returned, the tunnel lives until the stream is
    /// disposed or either end closes it.
    /// </para>
    /// </remarks>
    /// <param name="host">The destination's host name, for example <c>postgres.db.svc.cluster-b.kedge</c>. An IP address is refused: kedge routes by name.</param>
    /// <param name="port">The destination's port, 1 to 65535.</param>
    /// <param name="cancellationToken">Cancels opening the tunnel.</param>
    /// <returns>The tunnel's stream.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty or <paramref name="port"/> is out of range.</exception>
    /// <exception cref="KedgeTunnelException">
    /// The target is not a kedge destination (no route maps it, or its route's kedge is plain-text), or kedge refused the
    /// tunnel (<see cref="KedgeTunnelException.KedgeError"/> carries kedge's status and error type).
    /// </exception>
    /// <exception cref="HttpRequestException">Kedge could not be reached (connect, TLS, no HTTP/2), or a token source failed.</exception>
    public async Task<Stream> OpenTunnelAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        host = host.Trim('[', ']');
        var target = KedgeMapper.FormatTarget(host, port);
        var route = MapTunnel(host, port, target);

        using var request = new HttpRequestMessage(HttpMethod.Connect, new UriBuilder(Uri.UriSchemeHttps, host, port, "/").Uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Protocol = ConnectTcpProtocol;
        request.Options.Set(TunnelRequest, true);

        // The token cancels the opening only: SocketsHttpHandler stops watching it once the response headers are in
        // (OpenTunnelAsync_TokenCancelledAfterOpening_TunnelStaysOpen holds it to that).
        var response = await TunnelInvoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            using (response)
            {
                throw Refusal(route, target, response);
            }
        }

        Stream content;
        try
        {
            content = await response.Content.ReadAsStreamAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (!content.CanWrite)
        {
            content.Dispose();
            response.Dispose();
            throw new KedgeTunnelException(target, $"Kedge {route.KedgeUrl} answered the tunnel to {target} over HTTP/{response.Version}, which cannot carry a tunnel; it needs HTTP/2.", kedgeError: null);
        }

        KedgeTunnelLog.Opened(Logger, target, route.KedgeUrl);
        return new KedgeTunnelStream(response, content);
    }

    /// <summary>Marks a request as a tunnel's CONNECT: <see cref="CallerRequestState"/> then sends no backend token.</summary>
    internal static HttpRequestOptionsKey<bool> TunnelRequest { get; } = new("Kedge.Client.Tunnel");

    private HttpMessageInvoker TunnelInvoker
    {
        get
        {
            if (_tunnelInvoker is { } invoker)
            {
                return invoker;
            }

            // The same handler HttpClient calls go through (mapping, tokens, tracing, metrics, the shared connections); a
            // target it does not map never reaches the inner handler, as MapTunnel refused it before.
            var created = new HttpMessageInvoker(new KedgeHttpMessageHandler(this, new NoDirectTunnelHandler()), disposeHandler: true);
            return Interlocked.CompareExchange(ref _tunnelInvoker, created, null) ?? created;
        }
    }

    private KedgeRoute MapTunnel(string host, int port, string target)
    {
        KedgeRoute? route;
        try
        {
            route = Mapper.Map(host, port);
        }
        catch (Exception ex) when (ex is KedgeMappingException or ArgumentException)
        {
            Metrics.MappingFailure();
            KedgeTunnelLog.NotKedgeDestination(Logger, target, ex.Message);
            throw new KedgeTunnelException(target, $"Kedge could not map '{target}' with the {Mapper.Description}: {ex.Message}", kedgeError: null, ex);
        }

        if (route is null)
        {
            KedgeTunnelLog.NotKedgeDestination(Logger, target, "no route maps it");
            throw new KedgeTunnelException(target, $"'{target}' is not a kedge destination: no route of the {Mapper.Description} maps it, and a tunnel is only opened through kedge.", kedgeError: null);
        }

        if (!route.UsesTls)
        {
            KedgeTunnelLog.NotKedgeDestination(Logger, target, "its kedge is plain-text");
            throw new KedgeTunnelException(target, $"The route for '{target}' goes to the plain-text kedge {route.KedgeUrl}; kedge accepts tunnels on its TLS port only. Use an https:// kedge URL.", kedgeError: null);
        }

        return route;
    }

    private static KedgeTunnelException Refusal(KedgeRoute route, string target, HttpResponseMessage response)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        if (KedgeError.TryRead(response, out var error))
        {
            return new KedgeTunnelException(target, $"Kedge {route.KedgeUrl} refused the tunnel to {target}: {status} {error}", error);
        }

        // Not kedge's vocabulary: something in front of kedge answered, or a kedge that does not tunnel.
        return new KedgeTunnelException(
            target,
            $"Kedge {route.KedgeUrl} answered the tunnel to {target} with {status} {response.ReasonPhrase} and no X-Kedge-Error; is it a kedge that accepts tunnels on this port?",
            new KedgeError($"{status} {response.ReasonPhrase}", Type: null, response.StatusCode));
    }

    /// <summary>Only reached if a target stops being a kedge destination between the mapping and the send (a reload).</summary>
    private sealed class NoDirectTunnelHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.RequestUri?.Authority ?? string.Empty;
            return Task.FromException<HttpResponseMessage>(new KedgeTunnelException(target, $"'{target}' is no longer a kedge destination; a tunnel is only opened through kedge.", kedgeError: null));
        }
    }
}
