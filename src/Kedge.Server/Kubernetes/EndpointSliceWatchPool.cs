using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// The EndpointSlice watches of this kedge: one per namespace that some backend resolves in, shared by all of them,
/// started with the first subscriber and stopped after the last one leaves.
/// </summary>
internal sealed class EndpointSliceWatchPool : IAsyncDisposable
{
    private readonly KubernetesConnection _connection;
    private readonly KubernetesMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Running> _watches = new(StringComparer.Ordinal);

    public EndpointSliceWatchPool(KubernetesConnection connection, KubernetesMetrics metrics, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _connection = connection;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("Kedge.Server.Kubernetes.EndpointSlices");
    }

    public KubernetesOptions Options => _connection.Options;

    /// <summary>Number of running watches (for tests and the benchmark).</summary>
    internal int WatchCount
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>
    /// Follows the EndpointSlices of <paramref name="service"/> in <paramref name="ns"/>. Throws
    /// <see cref="KubernetesAccessException"/> when there is no cluster access.
    /// </summary>
    public Subscription Subscribe(string ns, string service, Action<IReadOnlyList<V1EndpointSlice>> onChange)
    {
        var client = _connection.Client;
        Running running;
        lock (_lock)
        {
            if (!_watches.TryGetValue(ns, out running!))
            {
                running = Start(client, ns);
                _watches[ns] = running;
            }

            running.Watch.Subscribe(service, onChange);
        }

        return new Subscription(this, running, service, onChange);
    }

    public async ValueTask DisposeAsync()
    {
        List<Running> all;
        lock (_lock)
        {
            all = [.. _watches.Values];
            _watches.Clear();
        }

        foreach (var running in all)
        {
            await running.StopAsync();
        }
    }

    private Running Start(IKubernetes client, string ns)
    {
        var handler = new EndpointSliceNamespaceWatch(ns);
        var name = $"endpointslices/{ns}";
        var watch = new KubernetesWatch<V1EndpointSlice, V1EndpointSliceList>(
            name,
            ct => client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: EndpointSliceNamespaceWatch.ServiceNameLabel, cancellationToken: ct),
            (version, timeoutSeconds, onError, ct) => client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(
                ns,
                allowWatchBookmarks: true,
                labelSelector: EndpointSliceNamespaceWatch.ServiceNameLabel,
                resourceVersion: version,
                timeoutSeconds: timeoutSeconds,
                onError: onError,
                cancellationToken: ct),
            handler,
            _connection.Options,
            _metrics,
            _timeProvider,
            _logger);
        var stop = new CancellationTokenSource();
        var task = Task.Run(() => watch.RunAsync(stop.Token), CancellationToken.None);
        return new Running(handler, stop, task, _timeProvider.GetTimestamp());
    }

    private void Release(Running running, string service, Action<IReadOnlyList<V1EndpointSlice>> onChange)
    {
        var stop = false;
        lock (_lock)
        {
            running.Watch.Unsubscribe(service, onChange);
            if (running.Watch.SubscriberCount == 0 && _watches.TryGetValue(running.Watch.Namespace, out var current) && current == running)
            {
                _watches.Remove(running.Watch.Namespace);
                stop = true;
            }
        }

        if (stop)
        {
            _ = running.StopAsync();
        }
    }

    internal sealed record Running(EndpointSliceNamespaceWatch Watch, CancellationTokenSource Stop, Task Task, long StartedAt)
    {
        public async Task StopAsync()
        {
            await Stop.CancelAsync();
            try
            {
                await Task;
            }
            catch (OperationCanceledException)
            {
            }

            Stop.Dispose();
        }
    }

    /// <summary>One resolver's interest in one service; dispose to leave.</summary>
    internal sealed class Subscription : IDisposable
    {
        private readonly EndpointSliceWatchPool _pool;
        private readonly Running _running;
        private readonly string _service;
        private readonly Action<IReadOnlyList<V1EndpointSlice>> _onChange;
        private int _disposed;

        internal Subscription(EndpointSliceWatchPool pool, Running running, string service, Action<IReadOnlyList<V1EndpointSlice>> onChange)
        {
            _pool = pool;
            _running = running;
            _service = service;
            _onChange = onChange;
        }

        /// <summary>Completes when the namespace has been listed once.</summary>
        public Task Synced => _running.Watch.Synced;

        /// <summary>
        /// How much longer a new backend should wait for the first list: the wait is counted from the watch's start, so
        /// backends sharing a watch of an unreachable API server do not each wait the whole time in turn.
        /// </summary>
        public TimeSpan RemainingSyncWait
        {
            get
            {
                var left = _pool.Options.InitialSyncTimeout - _pool._timeProvider.GetElapsedTime(_running.StartedAt);
                return left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _pool.Release(_running, _service, _onChange);
            }
        }
    }
}
