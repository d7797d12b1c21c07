using System.Diagnostics.Metrics;
using System.Globalization;
using Kedge.Client.Configuration;
using Kedge.Client.Failover;
using Kedge.Client.Http;
using Kedge.Client.Internal;
using Kedge.Client.Mapping;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Kedge.Client;

/// <summary>
/// The mapper, client certificate, CA trust and connection pools to every kedge. Create one per process (dependency
/// injection registers it as a singleton) and share it: every handler and gRPC channel made from it shares its connections.
/// </summary>
/// <remarks>
/// Registered with <c>AddKedgeClient</c>, the client follows configuration reloads: when its options change, calls from
/// then on use the new routes, certificates and token sources (over new connections; calls in flight finish on the old
/// ones). An invalid change is logged and the last good configuration stays in use.
/// </remarks>
public sealed partial class KedgeClient : IDisposable
{
    /// <summary>
    /// How long the connections of a replaced configuration stay open: a call that was mapped just before a reload may
    /// still be about to send on them. Calls already sent finish either way.
    /// </summary>
    private static readonly TimeSpan RetiredConnectionsGrace = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<State, ITimer> _retired = new(ReferenceEqualityComparer.Instance);
    private volatile State _state;
    private List<IDisposable> _changeSubscriptions = [];
    private KeyValuePair<string, string?>[]? _appliedSection;
    private bool _disposed;

    private KedgeClient(State state, ILogger logger, TimeProvider timeProvider, KedgeClientMetrics metrics, KeyValuePair<string, string?>[]? appliedSection = null)
    {
        _state = state;
        Metrics = metrics;
        Ejections = new KedgeEjections(timeProvider);
        _appliedSection = appliedSection;
        Logger = logger;
        _timeProvider = timeProvider;
    }

    /// <summary>The mapper that decides which targets go through which kedge; a configuration reload replaces it.</summary>
    public KedgeMapper Mapper => _state.Mapper;

    internal ILogger Logger { get; }

    internal KedgeClientMetrics Metrics { get; }

    /// <summary>The connections of the configuration in use.</summary>
    internal KedgeConnectionFactory Connections => _state.Connections;

    /// <summary>The kedges (and kedge–target pairs) failover has ejected; shared by every handler and channel of this client.</summary>
    internal KedgeEjections Ejections { get; }

    /// <summary>Creates a client from options, checking them first.</summary>
    /// <param name="options">The options.</param>
    /// <param name="loggerFactory">Where logs go; default none.</param>
    /// <param name="timeProvider">The clock for file refreshes and token caching; default <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are invalid; every error is listed with its key.</exception>
    public static KedgeClient Create(KedgeClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        => Create(options, KedgeClientSection.Code, loggerFactory, timeProvider);

    /// <summary>Creates a client from options, checking them first, with its instruments on a host's meter factory.</summary>
    /// <param name="options">The options.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock for file refreshes and token caching; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="meterFactory">
    /// The factory the <see cref="KedgeClientDiagnostics.MeterName"/> meter comes from, so that the host's exporters see
    /// this client's measurements and no other host's; <see langword="null"/> for the one static meter of the process.
    /// </param>
    /// <exception cref="OptionsValidationException">The options are invalid; every error is listed with its key.</exception>
    public static KedgeClient Create(KedgeClientOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, IMeterFactory? meterFactory)
        => Create(options, KedgeClientSection.Code, loggerFactory, timeProvider, meterFactory);

    internal static KedgeClient Create(KedgeClientOptions options, KedgeClientSection section, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Kedge.Client");
        timeProvider ??= TimeProvider.System;
        var errors = new List<string>();
        var metrics = KedgeClientMetrics.Create(meterFactory);
        var state = Compile(options, section, logger, timeProvider, metrics, errors)
            ?? throw new OptionsValidationException(Options.DefaultName, typeof(KedgeClientOptions), errors);
        return new KedgeClient(state, logger, timeProvider, metrics, Flatten(section));
    }

    /// <summary>For benchmarks: a client whose kedge requests go to <paramref name="transport"/> instead of the network.</summary>
    internal static KedgeClient CreateWithTransport(KedgeMapper mapper, HttpMessageHandler transport)
        => new(new State(mapper, new KedgeConnectionFactory(transport, transport, NullLogger.Instance), options: null), NullLogger.Instance, TimeProvider.System, KedgeClientMetrics.Static);

    /// <summary>
    /// Follows <paramref name="sources"/> (the change tokens <c>IOptionsMonitor</c> follows): on each change the options
    /// are read again with <paramref name="read"/> and, when they differ and are valid, replace the current ones.
    /// </summary>
    internal void FollowChanges(IEnumerable<IOptionsChangeTokenSource<KedgeClientOptions>> sources, Func<KedgeClientOptions> read, KedgeClientSection section)
    {
        var subscriptions = sources
            .Where(s => (s.Name ?? Options.DefaultName) == Options.DefaultName)
            .Select(s => ChangeToken.OnChange(s.GetChangeToken, () => Reload(read, section)))
            .ToList();
        lock (_gate)
        {
            _changeSubscriptions = subscriptions;
        }
    }

    /// <summary>Reads the options again and applies them if they changed and are valid; otherwise logs why not.</summary>
    internal void Reload(Func<KedgeClientOptions> read, KedgeClientSection section)
    {
        // One reload at a time: the configuration may signal from several threads.
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // A reload fires for a change anywhere in the application's configuration. When the client's own section
            // is as it was applied, nothing the client reads from configuration changed; settings made in code (a token
            // source, a mapper) are new objects on every read and would otherwise look like a change each time.
            var sectionValues = Flatten(section);
            if (sectionValues is not null && _appliedSection is not null && sectionValues.SequenceEqual(_appliedSection))
            {
                KedgeClientConfigurationLog.Unchanged(Logger, section.Path);
                return;
            }

            var errors = new List<string>();
            KedgeClientOptions options;
            try
            {
                options = read();
            }
            catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or FormatException)
            {
                // The binder could not convert a value (a duration that is not one, for example); it names the key.
                KedgeClientConfigurationLog.Rejected(Logger, section.Path, 1, ex.Message);
                return;
            }

            var current = _state;
            if (current.Options is { } previous && KedgeClientOptionsEquality.AreEqual(previous, options))
            {
                // Still report a key that no setting reads: a new typo changes no option.
                if (section.Configuration is { } configuration)
                {
                    KedgeClientConfigurationKeys.Check(configuration, section.Path, errors);
                }

                if (errors.Count > 0)
                {
                    KedgeClientConfigurationLog.Rejected(Logger, section.Path, errors.Count, string.Join('\n', errors));
                }
                else
                {
                    KedgeClientConfigurationLog.Unchanged(Logger, section.Path);
                }

                return;
            }

            if (Compile(options, section, Logger, _timeProvider, Metrics, errors) is not { } next)
            {
                KedgeClientConfigurationLog.Rejected(Logger, section.Path, errors.Count, string.Join('\n', errors));
                return;
            }

            _state = next;
            _appliedSection = sectionValues;
            Retire(current);
            KedgeClientConfigurationLog.Reloaded(Logger, section.Path);
        }
    }

    /// <summary>The client's configuration section as key/value pairs in a stable order; null for options set in code.</summary>
    private static KeyValuePair<string, string?>[]? Flatten(KedgeClientSection section)
        => section.Configuration?.AsEnumerable(makePathsRelative: true).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Creates a handler that sends kedge destinations through kedge and everything else through <paramref name="passThroughHandler"/>.</summary>
    /// <param name="passThroughHandler">The handler for targets that are not kedge destinations; default a new <see cref="SocketsHttpHandler"/>.</param>
    public KedgeHttpMessageHandler CreateHandler(HttpMessageHandler? passThroughHandler = null)
        => new(this, passThroughHandler ?? new SocketsHttpHandler());

    /// <summary>Closes every connection to kedge and stops following configuration changes.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var subscription in _changeSubscriptions)
            {
                subscription.Dispose();
            }

            foreach (var (retired, timer) in _retired)
            {
                timer.Dispose();
                retired.Connections.Dispose();
            }

            _retired.Clear();
            _state.Connections.Dispose();
        }
    }

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

        // One snapshot for the whole mapping: a reload in between must not mix one configuration's route with another's connections.
        var state = _state;
        if (state.Targets.TryGetValue(key, out var cached))
        {
            return cached;
        }

        // Mappers see the port kedge will see in the authority: none for http on port 80, 443 for https on its default.
        var host = uri.IdnHost;
        var route = state.Mapper.Map(host, kind == PortKind.HttpDefault ? null : port, out var rule);
        var target = route is null
            ? new KedgeTarget(uri.Host, port, kind == PortKind.Explicit, isHttps, null, string.Empty, string.Empty, state.Connections)
            : CreateTarget(state.Connections, route, rule, uri.Host, host, port, kind, isHttps);
        state.Targets.Set(key, target);
        return target;
    }

    /// <summary>Whether <paramref name="target"/> was mapped by the configuration in use (not one a reload replaced).</summary>
    internal bool IsCurrent(KedgeTarget target) => ReferenceEquals(target.Connections, _state.Connections);

    private static State? Compile(KedgeClientOptions options, KedgeClientSection section, ILogger logger, TimeProvider timeProvider, KedgeClientMetrics metrics, List<string> errors)
    {
        if (KedgeClientOptionsCompiler.Compile(options, section, timeProvider, logger, errors, metrics) is not { } compiled)
        {
            return null;
        }

        var connections = new KedgeConnectionFactory(compiled.ClientCertificate, compiled.Trust, options.PooledConnectionLifetime, options.ConnectTimeout, logger, options.InsecureSkipVerify);
        return new State(compiled.Mapper, connections, options);
    }

    /// <summary>Closes a replaced configuration's connections after <see cref="RetiredConnectionsGrace"/>. Called under the lock.</summary>
    private void Retire(State retired)
        => _retired[retired] = _timeProvider.CreateTimer(_ => CloseRetired(retired), null, RetiredConnectionsGrace, Timeout.InfiniteTimeSpan);

    private void CloseRetired(State retired)
    {
        lock (_gate)
        {
            // Not there: the client was disposed, which closed them.
            if (!_retired.Remove(retired, out var timer))
            {
                return;
            }

            timer.Dispose();
        }

        retired.Connections.Dispose();
    }

    private static KedgeTarget CreateTarget(KedgeConnectionFactory connections, KedgeRoute route, string rule, string uriHost, string host, int port, PortKind kind, bool isHttps)
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

        var urls = route.KedgeUrls;
        var kedges = new KedgeEndpoint[urls.Count];
        for (var i = 0; i < kedges.Length; i++)
        {
            kedges[i] = new KedgeEndpoint(urls[i], KedgePrefix(connections, route, urls[i]), i);
        }

        return new KedgeTarget(uriHost, port, kind == PortKind.Explicit, isHttps, route, authority, kedges[0].RequestPrefix, connections, rule, kedges);
    }

    /// <summary><c>http://kedge-host:port</c> for one kedge of <paramref name="route"/>, its TLS name registered.</summary>
    private static string KedgePrefix(KedgeConnectionFactory connections, KedgeRoute route, Uri kedgeUrl)
    {
        var kedgeHost = kedgeUrl.IdnHost;
        if (kedgeHost.Contains(':', StringComparison.Ordinal) && !kedgeHost.StartsWith('['))
        {
            kedgeHost = "[" + kedgeHost + "]";
        }

        if (route.UsesTls)
        {
            connections.SetTlsServerName(kedgeHost, kedgeUrl.Port, route.EffectiveTlsServerNameFor(kedgeUrl));
        }

        return "http://" + kedgeHost + ":" + kedgeUrl.Port.ToString(CultureInfo.InvariantCulture);
    }

    private enum PortKind : byte
    {
        Explicit,
        HttpDefault,
        HttpsDefault,
    }

    // Hosts come from Uri, which lower-cases them, so ordinal comparison is exact.
    private readonly record struct TargetKey(string Host, int Port, PortKind Kind, bool IsHttps);

    /// <summary>
    /// One configuration in use: its mapper, the connections whose TLS names its routes registered, and the targets it
    /// mapped (mappers are pure, so per configuration the answers can be cached). <see cref="Options"/> is what it was
    /// compiled from (<see langword="null"/> for a transport given in code), to tell a real change from a reload of the same.
    /// </summary>
    private sealed class State(KedgeMapper mapper, KedgeConnectionFactory connections, KedgeClientOptions? options)
    {
        public KedgeMapper Mapper { get; } = mapper;

        public KedgeConnectionFactory Connections { get; } = connections;

        public KedgeClientOptions? Options { get; } = options;

        public BoundedCache<TargetKey, KedgeTarget> Targets { get; } = new(capacity: 4096, EqualityComparer<TargetKey>.Default);
    }
}
