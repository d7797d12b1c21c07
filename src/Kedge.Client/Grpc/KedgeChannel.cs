using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Client.Failover;
using Kedge.Client.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Client.Grpc;

/// <summary>Creates gRPC channels to services behind kedge.</summary>
public static class KedgeChannel
{
    /// <summary>
    /// Creates a channel whose calls go to the kedge that serves <paramref name="targetAuthority"/>, with
    /// <c>:authority</c> set to <paramref name="targetAuthority"/>. Channels made from one <see cref="KedgeClient"/> share
    /// its connections: many services behind one kedge cost one HTTP/2 connection.
    /// </summary>
    /// <param name="targetAuthority">The service, <c>host</c> or <c>host:port</c>, for example <c>orders.shop.svc.cluster-b.kedge:8080</c>.</param>
    /// <param name="client">The kedge client.</param>
    /// <param name="configure">Sets further channel options (message sizes, retries, credentials). The HTTP transport is kedge's and must not be replaced.</param>
    /// <exception cref="ArgumentException">The target is malformed, an IP address, or not a kedge destination.</exception>
    public static GrpcChannel ForService(string targetAuthority, KedgeClient client, Action<GrpcChannelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var address = ParseTarget(targetAuthority);
        KedgeRoute? route;
        try
        {
            route = client.Mapper.Map(address.IdnHost, address.IsDefaultPort ? null : address.Port);
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            throw new ArgumentException($"'{targetAuthority}' cannot be reached through kedge: {ex.Message}", nameof(targetAuthority), ex);
        }

        if (route is null)
        {
            throw new ArgumentException(
                $"{targetAuthority} is not a kedge destination: no route of the {client.Mapper.Description} maps it. Add a route for it, or create a plain GrpcChannel for services that are not behind kedge.",
                nameof(targetAuthority));
        }

        if (route.HasFallbacks)
        {
            return ForBalancedService(address, client, route, configure);
        }

        var handler = new KedgeHttpMessageHandler(client, new NotKedgeDestinationHandler());

        // An HttpClient (rather than HttpHandler) keeps GrpcChannel from finding a SocketsHttpHandler in the chain and
        // resolving the logical target name through DNS itself.
        var httpClient = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        var options = new GrpcChannelOptions
        {
            HttpClient = httpClient,
            DisposeHttpClient = true,

            // The address says http:// (the authority must stay as given), but the connection to a TLS kedge is TLS, so
            // call credentials are as safe as on any https channel.
            UnsafeUseInsecureChannelCallCredentials = route.UsesTls,
        };
        configure?.Invoke(options);
        if (!ReferenceEquals(options.HttpClient, httpClient) || options.HttpHandler is not null)
        {
            httpClient.Dispose();
            throw new ArgumentException("KedgeChannel provides the channel's HTTP transport; do not set GrpcChannelOptions.HttpClient or HttpHandler in 'configure'.", nameof(configure));
        }

        // http://: the authority stays exactly as given (no implied :443); the TLS to kedge is the KedgeClient's.
        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>Creates a channel to <paramref name="targetAuthority"/> with the <see cref="KedgeClient"/> registered by <c>AddKedgeClient</c>.</summary>
    /// <param name="targetAuthority">The service, <c>host</c> or <c>host:port</c>.</param>
    /// <param name="services">The service provider.</param>
    /// <param name="configure">Sets further channel options.</param>
    /// <exception cref="ArgumentException">The target is malformed, an IP address, or not a kedge destination.</exception>
    public static GrpcChannel ForService(string targetAuthority, IServiceProvider services, Action<GrpcChannelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var client = services.GetRequiredService<KedgeClient>();
        var loggerFactory = services.GetService<ILoggerFactory>();
        return ForService(targetAuthority, client, options =>
        {
            options.LoggerFactory = loggerFactory;
            options.ServiceProvider = services;
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// A channel for a route with several kedges, balanced by grpc-dotnet: the <c>kedge</c> resolver gives the kedges
    /// in priority order, the <c>kedge_priority</c> policy keeps a subchannel to each and picks the first healthy one.
    /// The subchannels' sockets carry kedge's TLS (added per connection by the client's connection factory: kedge's
    /// name, current client certificate and trust), and the calls go through <see cref="KedgeHttpMessageHandler"/> as on
    /// an unbalanced channel, so <c>:authority</c>, tokens, traces and kedge errors are handled the same way.
    /// </summary>
    private static GrpcChannel ForBalancedService(Uri address, KedgeClient client, KedgeRoute route, Action<GrpcChannelOptions>? configure)
    {
        Http.KedgeTarget target;
        try
        {
            target = client.Resolve(address);
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            throw new ArgumentException($"'{address.Authority}' cannot be reached through kedge: {ex.Message}", nameof(address), ex);
        }

        var connections = target.Connections;
        var transport = KedgeConnectionFactory.CreateKedgeHandler(connections.ConnectTimeout, connections.PooledConnectionLifetime);

        // UseProxy is off, but grpc-dotnet turns load balancing off when a default proxy (HTTPS_PROXY) would apply.
        transport.Proxy = NoProxy.Instance;
        if (route.UsesTls)
        {
            // The client's current connections: a reload that changes certificates or trust applies to new connections.
            transport.PlaintextStreamFilter = (context, cancellationToken) => client.Connections.WrapTlsAsync(context, cancellationToken);
        }

        var kedgeHandler = new KedgeHttpMessageHandler(client, transport);
        var callHandler = new KedgeBalancedCallHandler(address, target.Kedges, kedgeHandler);
        var options = new GrpcChannelOptions
        {
            HttpHandler = callHandler,
            DisposeHttpClient = true,

            // The TLS to kedge is added below the HTTP layer (see above), so to grpc-dotnet the channel is plain text.
            Credentials = ChannelCredentials.Insecure,
            UnsafeUseInsecureChannelCallCredentials = route.UsesTls,

            // A restarted kedge is reconnected within the longest ejection, so traffic returns to it as fast.
            MaxReconnectBackoff = KedgeEjections.DefaultMaxEjectionTime,
        };
        configure?.Invoke(options);
        if (!ReferenceEquals(options.HttpHandler, callHandler) || options.HttpClient is not null)
        {
            callHandler.Dispose();
            throw new ArgumentException("KedgeChannel provides the channel's HTTP transport; do not set GrpcChannelOptions.HttpClient or HttpHandler in 'configure'.", nameof(configure));
        }

        options.ServiceProvider = new KedgeBalancerServices(
            new KedgeResolverFactory(target.Kedges),
            new KedgePriorityBalancerFactory(client.Ejections, target.Authority),
            options.ServiceProvider);
        return GrpcChannel.ForAddress(new Uri(KedgeResolverFactory.Scheme + "://" + address.Authority), options);
    }

    private static Uri ParseTarget(string targetAuthority)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetAuthority);
        if (targetAuthority.Contains("://", StringComparison.Ordinal)
            || !Uri.TryCreate("http://" + targetAuthority, UriKind.Absolute, out var address)
            || address.AbsolutePath != "/" || !string.IsNullOrEmpty(address.Query) || !string.IsNullOrEmpty(address.UserInfo))
        {
            throw new ArgumentException(
                $"'{targetAuthority}' is not a target authority; give 'host' or 'host:port' without a scheme or path, for example 'orders.shop.svc.cluster-b.kedge:8080'.",
                nameof(targetAuthority));
        }

        return address;
    }

    /// <summary>A proxy setting that proxies nothing (see <see cref="ForBalancedService"/>).</summary>
    private sealed class NoProxy : System.Net.IWebProxy
    {
        public static readonly NoProxy Instance = new();

        public System.Net.ICredentials? Credentials { get; set; }

        public Uri? GetProxy(Uri destination) => null;

        public bool IsBypassed(Uri host) => true;
    }

    private sealed class NotKedgeDestinationHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromException<HttpResponseMessage>(new HttpRequestException($"{request.RequestUri?.Authority} is no longer a kedge destination."));
    }
}
