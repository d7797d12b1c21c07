using System.Text.Json;
using Kedge.Server.Backends;
using Kedge.Server.Observability;
using Kedge.Server.Routing;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Configuration;

/// <summary>
/// Holds the configuration in force. A change is validated first (an invalid one keeps the last good configuration),
/// then routes and backends are swapped together as one snapshot. Backends whose settings did not change are kept, with
/// their connection pools; removed ones are closed after in-flight requests have had time to finish.
/// </summary>
internal sealed class KedgeRuntime : IAsyncDisposable
{
    private static readonly TimeSpan DrainDelay = TimeSpan.FromSeconds(30);

    private readonly KedgeServerSettings _settings;
    private readonly KedgeMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private volatile KedgeSnapshot _current = KedgeSnapshot.Empty;
    private int _disposedSnapshot;

    public KedgeRuntime(KedgeServerSettings settings, KedgeMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<KedgeRuntime>();
        metrics.ObserveEndpoints(() => _current.HttpBackends.Values.Concat(_current.GrpcBackends.Values)
            .Select(b => new System.Diagnostics.Metrics.Measurement<int>(b.Endpoints.Count, new KeyValuePair<string, object?>("backend_name", b.Name))));
    }

    public KedgeSnapshot Current => _current;

    /// <summary>Whether a configuration has been applied (readiness).</summary>
    public bool IsLoaded { get; private set; }

    /// <summary>Validates and applies <paramref name="options"/>; returns the errors (empty when applied).</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(KedgeServerOptions options, string section, CancellationToken cancellationToken = default)
    {
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(options, section, errors, _settings);
        if (errors.Count > 0)
        {
            return await RejectAsync(errors);
        }

        await _applyLock.WaitAsync(cancellationToken);
        try
        {
            var previous = _current;
            var built = new List<Backend>();
            Dictionary<string, Backend> http;
            Dictionary<string, Backend> grpc;
            try
            {
                http = await BuildBackendsAsync(options.HttpBackends, previous.HttpBackends, isGrpc: false, built, cancellationToken);
                grpc = await BuildBackendsAsync(options.GrpcBackends, previous.GrpcBackends, isGrpc: true, built, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Nothing was swapped in: close what this attempt built and keep the last good configuration.
                foreach (var backend in built)
                {
                    await backend.DisposeAsync();
                }

                return await RejectAsync([$"{section}: a backend could not be built: {ex.Message}"]);
            }
            _current = new KedgeSnapshot(options, new RoutingTable(options, _settings), http, grpc);
            IsLoaded = true;
            KedgeServerLog.ConfigurationApplied(_logger, options.HttpRoutes.Count, options.GrpcRoutes.Count, http.Count + grpc.Count);

            var removed = previous.HttpBackends.Values.Concat(previous.GrpcBackends.Values)
                .Where(b => !http.ContainsValue(b) && !grpc.ContainsValue(b))
                .ToList();
            foreach (var backend in removed.Where(b => !(b.IsGrpc ? grpc : http).ContainsKey(b.Name)))
            {
                // Replaced backends were counted as "update" when built; only the ones that are gone count as "remove".
                _metrics.BackendChanged(backend.Name, backend.IsGrpc, "remove");
            }

            if (removed.Count > 0)
            {
                _ = DisposeLaterAsync(removed);
            }

            return [];
        }
        finally
        {
            _applyLock.Release();
        }
    }

    /// <summary>Records a configuration change that was rejected; returns the errors.</summary>
    public Task<IReadOnlyList<string>> RejectAsync(IReadOnlyList<string> errors)
    {
        _metrics.ConfigReloadFailed();
        KedgeServerLog.ConfigurationRejected(_logger, string.Join('\n', errors));
        return Task.FromResult(errors);
    }

    public async ValueTask DisposeAsync()
    {
        var current = Interlocked.Exchange(ref _disposedSnapshot, 1) == 1 ? KedgeSnapshot.Empty : _current;
        foreach (var backend in current.HttpBackends.Values.Concat(current.GrpcBackends.Values))
        {
            await backend.DisposeAsync();
        }

    }

    private async Task<Dictionary<string, Backend>> BuildBackendsAsync(List<BackendOptions> wanted, IReadOnlyDictionary<string, Backend> existing, bool isGrpc, List<Backend> built, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, Backend>(StringComparer.Ordinal);
        foreach (var options in wanted)
        {
            var name = options.Name!;
            if (existing.TryGetValue(name, out var kept) && SameSettings(kept.Options, options))
            {
                result[name] = kept;
                continue;
            }

            var backend = new Backend(name, isGrpc, options, CreateResolver(options), _settings.FailedTargetBackoff, _timeProvider, _loggerFactory.CreateLogger($"Kedge.Server.Backends.{name}"));
            built.Add(backend);
            await backend.StartAsync(cancellationToken);
            result[name] = backend;
            _metrics.BackendChanged(name, isGrpc, existing.ContainsKey(name) ? "update" : "create");
        }

        return result;
    }

    private IBackendResolver CreateResolver(BackendOptions options)
    {
        if (options.Static is { } fixedList)
        {
            return new StaticResolver(fixedList.Addresses);
        }

        if (options.Host is { } host)
        {
            return new HostResolver(host.DnsName!, host.Port, _settings.DnsRefreshInterval, _timeProvider, _loggerFactory.CreateLogger<HostResolver>());
        }

        if (options.Srv is { } srv)
        {
            return new SrvResolver(srv.DnsName!, srv.PortOverride, _settings.DnsRefreshInterval, _timeProvider, _loggerFactory.CreateLogger<SrvResolver>());
        }

        throw new InvalidOperationException("The configuration validator lets no other resolver through.");
    }

    private static bool SameSettings(BackendOptions a, BackendOptions b)
        => JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    private async Task DisposeLaterAsync(List<Backend> backends)
    {
        await Task.Delay(DrainDelay, _timeProvider);
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
