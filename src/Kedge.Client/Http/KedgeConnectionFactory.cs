using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Kedge.Client.Internal;
using Kedge.Common.Files;
using Kedge.Common.Http;
using Kedge.Common.Tls;
using Microsoft.Extensions.Logging;

namespace Kedge.Client.Http;

/// <summary>
/// The connections to every kedge, shared by all handlers and channels of one <see cref="KedgeClient"/>.
/// </summary>
/// <remarks>
/// SocketsHttpHandler keys its TLS connection pools by the request's Host header, which carries the target's
/// authority here, so N targets behind one kedge would cost N connections, each verifying the wrong name. Instead,
/// requests to a TLS kedge are sent with the <c>http</c> scheme to the kedge's host and port, and the TLS handshake is
/// done in <see cref="SocketsHttpHandler.ConnectCallback"/> with kedge's own name as SNI and for verification. The pool
/// key is then the kedge's host and port alone. TLS and plain-text kedges use separate handlers, so a plain connection
/// is never reused for a TLS kedge.
/// </remarks>
internal sealed class KedgeConnectionFactory : IDisposable
{
    // HTTP/1.1 is offered too so that a kedge without HTTP/2 completes the handshake and the failure below says why
    // (and winch can resend as HTTP/1.1) instead of a bare "no application protocol" TLS alert.
    private static readonly List<SslApplicationProtocol> Http2First = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> Http11Only = [SslApplicationProtocol.Http11];

    private readonly FileSnapshot<TlsCertificate>? _clientCertificate;
    private readonly FileSnapshot<TrustBundle>? _trust;
    private readonly TimeSpan _connectTimeout;
    private readonly bool _insecureSkipVerify;
    private readonly ILogger _logger;
    private readonly Forwarder _tls;
    private readonly Forwarder _plain;

    // The name each TLS kedge (host, port) is verified against. One pool per (host, port) means one name per kedge.
    private readonly ConcurrentDictionary<(string Host, int? Port), string> _tlsServerNames = new(HostPortComparer.Instance);

    public KedgeConnectionFactory(
        FileSnapshot<TlsCertificate>? clientCertificate,
        FileSnapshot<TrustBundle>? trust,
        TimeSpan pooledConnectionLifetime,
        TimeSpan connectTimeout,
        ILogger logger,
        bool insecureSkipVerify = false)
    {
        _clientCertificate = clientCertificate;
        _trust = trust;
        _connectTimeout = connectTimeout;
        PooledConnectionLifetime = pooledConnectionLifetime;
        _insecureSkipVerify = insecureSkipVerify;
        _logger = logger;
        _tls = new Forwarder(CreateHandler(pooledConnectionLifetime, ConnectTlsAsync));
        _plain = new Forwarder(CreateHandler(pooledConnectionLifetime, connectCallback: null));
    }

    /// <summary>For benchmarks: sends kedge requests to the given handlers instead of the network.</summary>
    internal KedgeConnectionFactory(HttpMessageHandler tls, HttpMessageHandler plain, ILogger logger)
    {
        _connectTimeout = TimeSpan.FromSeconds(10);
        _logger = logger;
        _tls = new Forwarder(tls);
        _plain = new Forwarder(plain);
    }

    /// <summary>How long a connection is reused: the client's <c>PooledConnectionLifetime</c>.</summary>
    public TimeSpan PooledConnectionLifetime { get; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long a TCP connect may take: the client's <c>ConnectTimeout</c>.</summary>
    public TimeSpan ConnectTimeout => _connectTimeout;

    /// <summary>Sets the name the kedge at <paramref name="host"/>:<paramref name="port"/> is verified against and sent as SNI.</summary>
    /// <exception cref="Mapping.KedgeMappingException">Another route already named this kedge differently.</exception>
    public void SetTlsServerName(string host, int port, string serverName)
    {
        var known = _tlsServerNames.GetOrAdd((TrimBrackets(host), port), serverName);
        if (!string.Equals(known, serverName, StringComparison.OrdinalIgnoreCase))
        {
            // One pool of connections per kedge address, so one verified name: two names would let a connection
            // verified for one route carry the other's calls.
            throw new Mapping.KedgeMappingException(
                $"The kedge at {host}:{port} is verified as '{known}' by one route and as '{serverName}' by another; give routes to the same kedge address the same TlsServerName.");
        }
    }

    /// <summary>Sends a request whose URI already points at kedge (with the http scheme).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, bool useTls, CancellationToken cancellationToken)
        => (useTls ? _tls : _plain).ForwardAsync(request, cancellationToken);

    public void Dispose()
    {
        _tls.Dispose();
        _plain.Dispose();
    }

    private static string TrimBrackets(string host) => host.StartsWith('[') ? host[1..^1] : host;

    /// <summary>The handler settings of the shared connections, for a handler whose connections another component makes.</summary>
    internal static SocketsHttpHandler CreateKedgeHandler(TimeSpan connectTimeout, TimeSpan pooledConnectionLifetime)
    {
        // Old connections retire within the lifetime, so a rotated client certificate is in use everywhere soon after.
        var handler = OutgoingHandlerFactory.Create(connectTimeout, pooledConnectionLifetime);
        // KedgeHttpMessageHandler injects the trace context itself (see TraceContextHeaders): kedge's parent is then
        // Kedge.Client's span, not a System.Net.Http span below it that nothing may record.
        handler.ActivityHeadersPropagator = null;
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        return handler;
    }

    private SocketsHttpHandler CreateHandler(TimeSpan pooledConnectionLifetime, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connectCallback)
    {
        var handler = CreateKedgeHandler(_connectTimeout, pooledConnectionLifetime);
        if (connectCallback is not null)
        {
            handler.ConnectCallback = connectCallback;
        }

        return handler;
    }

    private async ValueTask<Stream> ConnectTlsAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var request = context.InitialRequestMessage;
        var endPoint = context.DnsEndPoint;
        if (!_tlsServerNames.TryGetValue((TrimBrackets(endPoint.Host), endPoint.Port), out var serverName))
        {
            throw new InvalidOperationException($"No TLS server name is known for kedge {endPoint.Host}:{endPoint.Port}; send requests through KedgeHttpMessageHandler.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), endPoint, serverName, request.Version.Major >= 2, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For a gRPC channel that balances over a route's kedges: grpc-dotnet's load balancer owns the sockets (its
    /// subchannels connect them), and the TLS to kedge is added here, on each new connection, exactly as for the
    /// shared connections (kedge's name, the current client certificate and trust).
    /// </summary>
    public async ValueTask<Stream> WrapTlsAsync(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        var uri = context.InitialRequestMessage.RequestUri!;
        var endPoint = new DnsEndPoint(uri.IdnHost, uri.Port);
        if (!_tlsServerNames.TryGetValue((TrimBrackets(endPoint.Host), endPoint.Port), out var serverName))
        {
            throw new InvalidOperationException($"No TLS server name is known for kedge {endPoint.Host}:{endPoint.Port}; send requests through KedgeHttpMessageHandler.");
        }

        return await AuthenticateAsync(context.PlaintextStream, endPoint, serverName, wantsHttp2: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SslStream> AuthenticateAsync(Stream connection, DnsEndPoint endPoint, string serverName, bool wantsHttp2, CancellationToken cancellationToken)
    {
        var sslStream = new SslStream(connection, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ApplicationProtocols = wantsHttp2 ? Http2First : Http11Only,
                ClientCertificateContext = _clientCertificate?.GetCurrent().Context,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };

            if (_insecureSkipVerify)
            {
                // Asked for explicitly (winch's --client_insecure, Go's client_insecure): never set from configuration.
#pragma warning disable CA5359
                options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
            }
            else if (_trust is not null)
            {
                options.CertificateChainPolicy = _trust.GetCurrent().CreateChainPolicy();
            }

            await sslStream.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            if (wantsHttp2 && sslStream.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
            {
                throw new KedgeHttp2NotNegotiatedException(
                    $"The kedge at {endPoint.Host}:{endPoint.Port} did not negotiate HTTP/2 (ALPN h2); gRPC and HTTP/2 calls need a kedge that serves HTTP/2 over TLS.");
            }
        }
        catch (Exception ex)
        {
            await sslStream.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            KedgeClientLog.TlsHandshakeFailed(_logger, endPoint.Host, endPoint.Port, serverName, ex);
            throw ex as HttpRequestException ?? new HttpRequestException(
                HttpRequestError.SecureConnectionError,
                $"TLS handshake with kedge {endPoint.Host}:{endPoint.Port} (verifying server name '{serverName}') failed: {ex.Message}",
                ex);
        }

        return sslStream;
    }

    /// <summary>
    /// Calls a handler directly. An <see cref="HttpMessageInvoker"/> would also report the request to System.Net.Http's
    /// telemetry, counting it twice (the caller's HttpClient already did).
    /// </summary>
    private sealed class Forwarder(HttpMessageHandler handler) : DelegatingHandler(handler)
    {
        public Task<HttpResponseMessage> ForwardAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => SendAsync(request, cancellationToken);
    }
}
