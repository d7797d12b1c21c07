using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kedge.Server.Observability;

namespace Kedge.Server.Kubernetes;

/// <summary>Instruments of the Kubernetes resolver and discovery, on kedge's meter (<c>Kedge.Server</c>).</summary>
internal sealed class KubernetesMetrics
{
    private readonly Counter<long> _watchErrors;
    private readonly Counter<long> _watchReconnects;
    private readonly Counter<long> _watchRelists;
    private readonly Counter<long> _discoveryConflicts;
    private readonly ConcurrentDictionary<object, Func<(string Backend, int Count)>> _endpointSources = new();
    private readonly ConcurrentDictionary<string, (string Error, DateTimeOffset At)> _lastWatchErrors = new(StringComparer.Ordinal);
    private int _currentConflicts;

    public KubernetesMetrics(IMeterFactory meterFactory)
    {
        // The factory hands out the one meter of this name, so these sit beside KedgeMetrics' instruments.
        var meter = meterFactory.Create(KedgeMetrics.MeterName);
        _watchErrors = meter.CreateCounter<long>("kedge_k8s_watch_errors", description: "Kubernetes list or watch calls that failed, by watched object set.");
        _watchReconnects = meter.CreateCounter<long>("kedge_k8s_watch_reconnects", description: "Kubernetes watches re-established after a failure, by watched object set.");
        _watchRelists = meter.CreateCounter<long>("kedge_k8s_watch_relists", description: "Kubernetes watches that had to list again because their resource version expired (410 Gone).");
        _discoveryConflicts = meter.CreateCounter<long>("kedge_discovery_conflicts", description: "Route claims of exposed services that lost to an earlier claim of the same host and port.");
        meter.CreateObservableGauge("kedge_k8s_endpoints", () => _endpointSources.Values.Select(source =>
        {
            var (backend, count) = source();
            return new Measurement<int>(count, new KeyValuePair<string, object?>("backend_name", backend));
        }), description: "Ready endpoints a Kubernetes-resolved backend routes to.");
        meter.CreateObservableGauge("kedge_discovery_conflicting_claims", () => Volatile.Read(ref _currentConflicts), description: "Route claims of exposed services currently left out because another service holds them.");
    }

    public void WatchError(string watch) => _watchErrors.Add(1, new KeyValuePair<string, object?>("watch", watch));

    /// <summary>Keeps a watch's last failure for the dashboard (<paramref name="error"/> is the exception chain, never a credential).</summary>
    public void WatchFailed(string watch, string error, DateTimeOffset at) => _lastWatchErrors[watch] = (error, at);

    /// <summary>The last failure of a watch (<c>services</c> for discovery), or null.</summary>
    public (string Error, DateTimeOffset At)? LastWatchError(string watch) => _lastWatchErrors.TryGetValue(watch, out var last) ? last : null;

    /// <summary>Route claims of exposed services currently left out because another service holds them.</summary>
    public int CurrentConflicts => Volatile.Read(ref _currentConflicts);

    public void WatchReconnect(string watch) => _watchReconnects.Add(1, new KeyValuePair<string, object?>("watch", watch));

    public void WatchRelist(string watch) => _watchRelists.Add(1, new KeyValuePair<string, object?>("watch", watch));

    /// <summary>Sets the current number of losing claims; a rise is counted as new conflicts.</summary>
    public void DiscoveryConflicts(int current)
    {
        var previous = Interlocked.Exchange(ref _currentConflicts, current);
        if (current > previous)
        {
            _discoveryConflicts.Add(current - previous);
        }
    }

    public void TrackEndpoints(object owner, Func<(string Backend, int Count)> source) => _endpointSources[owner] = source;

    public void UntrackEndpoints(object owner) => _endpointSources.TryRemove(owner, out _);
}
