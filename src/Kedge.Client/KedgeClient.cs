using System.Globalization;
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
    private readonly BoundedCache<TargetKey, KedgeTarget> _targets = new(capacity: 4096, EqualityComparer<TargetKey>.Default);

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
        => Create(options, KedgeClientSection.Code, loggerFactory, timeProvider);

    internal static KedgeClient Create(KedgeClientOptions options, KedgeClientSection section, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Kedge.Client");
        var errors = new List<string>();
        var compiled = KedgeClientOptionsCompiler.Compile(options, section, timeProvider ?? TimeProvider.System, logger, errors)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(KedgeClientOptions), errors);
        var connections = new KedgeConnectionFactory(compiled.ClientCertificate, compiled.Trust, options.PooledConnectionLifetime, options.ConnectTimeout, logger, options.InsecureSkipVerify);
        return new KedgeClient(compiled.Mapper, connections, logger);
    }

    /// <summary>For benchmarks: a client whose kedge requests go to <paramref name="transport"/> instead of the network.</summary>
    internal static KedgeClient CreateWithTransport(KedgeMapper mapper, HttpMessageHandler transport)
        => new(mapper, new KedgeConnectionFactory(transport, transport, NullLogger.Instance), NullLogger.Instance);

    /// <summary>Creates a handler that sends kedge destinations through kedge and everything else through <paramref name="passThroughHandler"/>.</summary>
    /// <param name="passThroughHandler">The handler for targets that are not kedge destinations; default a new <see cref="SocketsHttpHandler"/>.</param>
    public KedgeHttpMessageHandler CreateHandler(HttpMessageHandler? passThroughHandler = null)
        => new(this, passThroughHandler ?? new SocketsHttpHandler());

    /// <summary>Closes every connection to kedge.</summary>
    public void Dispose() => Connections.Dispose();

    /// <summary>
    /// Maps a target, caching the answer per (host, port, scheme kind): mappers are pure, so the mapping, the authority
    /// string and the request prefix are computed once per target rather than per request.
    /// </summary>
    /// <exception cref="Exception">Whatever the mapper throws; failures are not cached.</exception>
    internal KedgeTarget Resolve(Uri uri)
    {
        var port = uri.Port;
        var isHttps = uri.Scheme == Uri.UriSchemeHttps;
        var kind = !uri.IsDefaultPort ? PortKind.Explicit : isHttps ? PortKind.HttpsDefault : PortKind.HttpDefault;
        var key = new TargetKey(uri.Host, port, kind, isHttps);
        if (_targets.TryGetValue(key, out var cached))
        {
            return cached;
        }

        // Mappers see the port kedge will see in the authority: none for http on port 80, 443 for https on its default.
        var host = uri.IdnHost;
        var route = Mapper.Map(host, kind == PortKind.HttpDefault ? null : port);
        var target = route is null
            ? new KedgeTarget(uri.Host, port, kind == PortKind.Explicit, isHttps, null, string.Empty, string.Empty)
            : CreateTarget(route, uri.Host, host, port, kind, isHttps);
        _targets.Set(key, target);
        return target;
    }

    private KedgeTarget CreateTarget(KedgeRoute route, string uriHost, string host, int port, PortKind kind, bool isHttps)
    {
        var shownHost = host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;

        // Kedge reads a port-less authority as port 80 (as Go kedge did), so https on its default port says :443.
        var authority = kind == PortKind.HttpDefault ? shownHost : shownHost + ":" + port.ToString(CultureInfo.InvariantCulture);
        if (!route.UsesTls)
        {
            // A plain-text kedge is for development: nothing that expects protection may go through it.
            if (route.ProxyAuth is not null || route.BackendAuth is not null)
            {
                throw new KedgeMappingException($"The route for '{authority}' would send tokens in clear text to the plain-text kedge {route.KedgeUrl}; use an https:// kedge URL.");
            }

            if (isHttps)
            {
                throw new KedgeMappingException($"'https://{authority}' would travel in clear text through the plain-text kedge {route.KedgeUrl}; use an https:// kedge URL, or call the target with http://.");
            }
        }

        var kedgeHost = route.KedgeUrl.IdnHost;
        if (kedgeHost.Contains(':', StringComparison.Ordinal) && !kedgeHost.StartsWith('['))
        {
            kedgeHost = "[" + kedgeHost + "]";
        }

        var prefix = "http://" + kedgeHost + ":" + route.KedgeUrl.Port.ToString(CultureInfo.InvariantCulture);
        if (route.UsesTls)
        {
            Connections.SetTlsServerName(kedgeHost, route.KedgeUrl.Port, route.EffectiveTlsServerName);
        }

        return new KedgeTarget(uriHost, port, kind == PortKind.Explicit, isHttps, route, authority, prefix);
    }

    private enum PortKind : byte
    {
        Explicit,
        HttpDefault,
        HttpsDefault,
    }

    // Hosts come from Uri, which lower-cases them, so ordinal comparison is exact.
    private readonly record struct TargetKey(string Host, int Port, PortKind Kind, bool IsHttps);
}
