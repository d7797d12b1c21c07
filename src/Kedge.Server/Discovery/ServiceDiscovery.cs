using k8s;
using k8s.Models;
using Kedge.Server.Configuration;
using Kedge.Server.Kubernetes;
using Kedge.Server.Management;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Discovery;

/// <summary>
/// Watches Services labelled <c>&lt;prefix&gt;kedge-exposed</c> in all namespaces (a label value of <c>false</c> opts
/// out) and applies the routes and backends they generate, together with the static configuration, as one atomic
/// change. Bursts of events are debounced; the state is a map keyed by namespace/name, so repeated or out-of-order
/// events cannot corrupt it (Go kedge restarted its stream on such "inconsistencies").
/// </summary>
internal sealed class ServiceDiscovery : BackgroundService, IKubernetesWatchHandler<V1Service>
{
    private readonly DiscoveryOptions _options;
    private readonly KubernetesConnection _connection;
    private readonly KedgeRuntime _runtime;
    private readonly KubernetesMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1Service> _services = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly TaskCompletionSource _firstApplied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;
    private int _retryPending;
    private Dictionary<string, BackendOptions>? _lastBackends;
    private volatile DiscoveryStatus _status = new(0, null, null, null);

    public ServiceDiscovery(DiscoveryOptions options, KubernetesConnection connection, KedgeRuntime runtime, KubernetesMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _options = options;
        _connection = connection;
        _runtime = runtime;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<ServiceDiscovery>();
    }

    /// <summary>Ready for traffic: discovery is off, or the first list of Services has been applied.</summary>
    public bool IsReady => !_options.Enabled || _firstApplied.Task.IsCompleted;

    /// <summary>Whether discovery watches labelled Services at all.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>The label that exposes a Service.</summary>
    public string Label => _options.LabelAnnotationPrefix + DiscoveryConfigBuilder.ExposedLabel;

    /// <summary>What discovery last did (the dashboard's view): Services seen, when it last applied, its last error.</summary>
    public DiscoveryStatus Status => _status;

    /// <summary>Completes when the first list of exposed Services has been applied.</summary>
    internal Task FirstApplied => _firstApplied.Task;

    public void Reset(IList<V1Service> items)
    {
        lock (_lock)
        {
            _services.Clear();
            foreach (var service in items)
            {
                Store(service);
            }
        }

        Signal();
    }

    public void Apply(WatchEventType type, V1Service item)
    {
        lock (_lock)
        {
            if (type == WatchEventType.Deleted)
            {
                _services.Remove(Key(item));
            }
            else
            {
                Store(item);
            }
        }

        Signal();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var client = _connection.Client;
        var selector = _options.LabelAnnotationPrefix + DiscoveryConfigBuilder.ExposedLabel;
        var watch = new KubernetesWatch<V1Service, V1ServiceList>(
            "services",
            ct => client.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: selector, cancellationToken: ct),
            (version, timeoutSeconds, onError, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: selector, resourceVersion: version, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct),
            this,
            _connection.Options,
            _metrics,
            _timeProvider,
            _logger);
        var watching = Task.Run(() => watch.RunAsync(stoppingToken), CancellationToken.None);
        try
        {
            await ApplyLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await watching;
    }

    private async Task ApplyLoopAsync(CancellationToken stoppingToken)
    {
        long applied = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            await _changed.WaitAsync(stoppingToken);

            // Wait for the burst to end (no event for DebounceDelay), but no longer than MaxDebounceDelay in all.
            var started = _timeProvider.GetTimestamp();
            while (true)
            {
                var seen = Interlocked.Read(ref _version);
                var left = _options.MaxDebounceDelay - _timeProvider.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    break;
                }

                await Task.Delay(_options.DebounceDelay < left ? _options.DebounceDelay : left, _timeProvider, stoppingToken);
                if (Interlocked.Read(ref _version) == seen)
                {
                    break;
                }
            }

            var version = Interlocked.Read(ref _version);
            if (version == applied)
            {
                continue;
            }

            V1Service[] services;
            lock (_lock)
            {
                services = [.. _services.Values];
            }

            var succeeded = false;
            try
            {
                var routing = DiscoveryConfigBuilder.Build(services, _options, _logger, _lastBackends);
                var errors = await _runtime.ApplyDiscoveredAsync(routing, stoppingToken);
                if (errors.Count == 0)
                {
                    _lastBackends = routing.HttpBackends.Concat(routing.GrpcBackends)
                        .GroupBy(b => b.Options.Name!, StringComparer.Ordinal)
                        .ToDictionary(g => g.Key, g => g.First().Options, StringComparer.Ordinal);
                    KedgeServerLog.DiscoveryApplied(_logger, routing.HttpBackends.Count, routing.GrpcBackends.Count, routing.ServiceCount);
                    succeeded = true;
                    _status = _status with { Services = services.Length, AppliedAt = _timeProvider.GetUtcNow() };
                }
                else
                {
                    _status = _status with { Services = services.Length, LastError = string.Join('\n', errors), LastErrorAt = _timeProvider.GetUtcNow() };
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Discovery must never take kedge down (Go's did): the last good configuration stays in force.
                KedgeServerLog.DiscoveryRejected(_logger, ex.ToString());
                _status = _status with { Services = services.Length, LastError = Backends.EndpointFailure.Describe(ex), LastErrorAt = _timeProvider.GetUtcNow() };
            }

            _firstApplied.TrySetResult();
            if (succeeded)
            {
                applied = version;
            }
            else
            {
                // The last good configuration stays in force; try again later even if no Service changes meanwhile.
                _ = RetryLaterAsync(stoppingToken);
            }
        }
    }

    /// <summary>How long after a failed apply discovery tries again without a new event.</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    private async Task RetryLaterAsync(CancellationToken stoppingToken)
    {
        if (Interlocked.Exchange(ref _retryPending, 1) == 1)
        {
            return; // one retry at a time
        }

        try
        {
            await Task.Delay(RetryDelay, _timeProvider, stoppingToken);
            Interlocked.Exchange(ref _retryPending, 0);
            Signal();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>The rule (shared with <c>kedge check</c>): the label with any value but "false" exposes a Service.</summary>
    internal static bool Exposes(V1Service service, string label)
        => service.Metadata?.Labels is { } labels && labels.TryGetValue(label, out var value) && !string.Equals(value, "false", StringComparison.OrdinalIgnoreCase);

    private void Store(V1Service service)
    {
        if (Exposes(service, _options.LabelAnnotationPrefix + DiscoveryConfigBuilder.ExposedLabel))
        {
            _services[Key(service)] = service;
        }
        else
        {
            _services.Remove(Key(service));
        }
    }

    private void Signal()
    {
        Interlocked.Increment(ref _version);
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A change is already pending; the apply loop reads the newest state.
        }
    }

    private static string Key(V1Service service) => $"{service.Metadata?.NamespaceProperty}/{service.Metadata?.Name}";

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }
}
