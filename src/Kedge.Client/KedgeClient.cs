using Kedge.Client.Configuration;
using Kedge.Client.Http;
using Kedge.Client.Internal;
using Kedge.Client.Mapping;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kedge.Client;

/// <summary>
/// The mapper, client certificate, CA trust and connection pools to every kedge. Create one per process (dependency
/// injection registers it as a singleton) and share it: every handler and gRPC channel made from it shares its connections.
/// </summary>
public sealed class KedgeClient : IDisposable
{
    private readonly BoundedCache<(Uri KedgeUrl, string? TlsServerName), string> _requestPrefixes = new(capacity: 1024, EqualityComparer<(Uri, string?)>.Default);

    private KedgeClient(KedgeMapper mapper, KedgeConnectionFactory connections, ILogger logger)
    {
        Mapper = mapper;
        Connections = connections;
        Logger = logger;
    }

    /// <summary>The mapper that decides which targets go through which kedge.</summary>
    public KedgeMapper Mapper { get; }

    internal KedgeConnectionFactory Connections { get; }

    internal ILogger Logger { get; }

    /// <summary>Creates a client from options, checking them first.</summary>
    /// <param name="options">The options.</param>
    /// <param name="loggerFactory">Where logs go; default none.</param>
    /// <param name="timeProvider">The clock for file refreshes and token caching; default <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid; every error is listed with its key.</exception>
    public static KedgeClient Create(KedgeClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        => Create(options, KedgeClientOptionsCompiler.DefaultSectionName, loggerFactory, timeProvider);

    internal static KedgeClient Create(KedgeClientOptions options, string section, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Kedge.Client");
        var errors = new List<string>();
        var compiled = KedgeClientOptionsCompiler.Compile(options, section, timeProvider ?? TimeProvider.System, logger, errors)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(KedgeClientOptions), errors);
        var connections = new KedgeConnectionFactory(compiled.ClientCertificate, compiled.Trust, options.PooledConnectionLifetime, options.ConnectTimeout, logger);
        return new KedgeClient(compiled.Mapper, connections, logger);
    }

    /// <summary>Creates a handler that sends kedge destinations through kedge and everything else through <paramref name="passThroughHandler"/>.</summary>
    /// <param name="passThroughHandler">The handler for targets that are not kedge destinations; default a new <see cref="SocketsHttpHandler"/>.</param>
    public KedgeHttpMessageHandler CreateHandler(HttpMessageHandler? passThroughHandler = null)
        => new(this, passThroughHandler ?? new SocketsHttpHandler());

    /// <summary>Closes every connection to kedge.</summary>
    public void Dispose() => Connections.Dispose();

    /// <summary>The URI a request to <paramref name="target"/> is sent with: the kedge's host and port, the target's path and query.</summary>
    internal Uri GetKedgeRequestUri(KedgeRoute route, Uri target)
    {
        var key = (route.KedgeUrl, route.TlsServerName);
        if (!_requestPrefixes.TryGetValue(key, out var prefix))
        {
            // The scheme is http even for a TLS kedge: the connection factory does the TLS itself (see KedgeConnectionFactory).
            prefix = "http://" + route.KedgeUrl.Host + ":" + route.KedgeUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (route.UsesTls)
            {
                Connections.SetTlsServerName(route.KedgeUrl.Host, route.KedgeUrl.Port, route.EffectiveTlsServerName);
            }

            _requestPrefixes.Set(key, prefix);
        }

        return new Uri(prefix + target.PathAndQuery);
    }
}
