using System.Net;
using DnsClient;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Kubernetes;
using Kedge.Server.Observability;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Management;

/// <summary>
/// Owns the running backends and their resolvers. A change creates the backends that are new, replaces (updates) the
/// ones whose <see cref="BackendSpec"/> changed and keeps the equal ones with their connection pools; removed and
/// replaced backends are retired: disposed after in-flight requests have had time to finish. Disposal is awaited,
/// also at shutdown, where backends still draining are disposed at once.
/// </summary>
internal sealed class BackendManager(KedgeServerSettings settings, KedgeMetrics metrics, EndpointSliceWatchPool endpointSlices, KubernetesMetrics kubernetesMetrics, TimeProvider timeProvider, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    /// <summary>How long a retired backend keeps serving the requests that picked it before the change.</summary>
    internal static readonly TimeSpan DrainDelay = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _retiringLock = new();
    private readonly HashSet<Task> _retiring = [];
    private Dictionary<(bool IsGrpc, string Name), (BackendSpec Spec, Backend Backend)> _running = [];

    /// <summary>
    /// Brings the running backends to <paramref name="options"/> (validated); returns them by name. Callers serialize
    /// changes. When a backend cannot be built, what this call built is disposed, nothing changes, and the error is thrown.
    /// </summary>
    public async Task<(IReadOnlyDictionary<string, Backend> Http, IReadOnlyDictionary<string, Backend> Grpc)> ApplyAsync(KedgeServerOptions options, CancellationToken cancellationToken)
    {
        var next = new Dictionary<(bool IsGrpc, string Name), (BackendSpec Spec, Backend Backend)>();
        var built = new List<Backend>();
        try
        {
            foreach (var (list, isGrpc) in new[] { (options.HttpBackends, false), (options.GrpcBackends, true) })
            {
                foreach (var backendOptions in list)
                {
                    var spec = BackendSpec.From(backendOptions, isGrpc);
                    var key = (isGrpc, spec.Name);
                    if (_running.TryGetValue(key, out var kept) && kept.Spec == spec)
                    {
                        next[key] = kept;
                        continue;
                    }

                    var backend = new Backend(spec.Name, isGrpc, backendOptions, CreateResolver(backendOptions), settings.FailedTargetBackoff, timeProvider, loggerFactory.CreateLogger($"Kedge.Server.Backends.{spec.Name}"), metrics);
                    built.Add(backend);
                    await backend.StartAsync(cancellationToken);
                    next[key] = (spec, backend);
                }
            }
        }
        catch
        {
            // Nothing changes: close what this attempt built; the running backends stay.
            foreach (var backend in built)
            {
                await backend.DisposeAsync();
            }

            throw;
        }

        foreach (var backend in built)
        {
            metrics.BackendChanged(backend.Name, backend.IsGrpc, _running.ContainsKey((backend.IsGrpc, backend.Name)) ? BackendChange.Update : BackendChange.Create);
        }

        var retired = new List<Backend>();
        foreach (var (key, (_, backend)) in _running)
        {
            if (next.TryGetValue(key, out var now) && ReferenceEquals(now.Backend, backend))
            {
                continue;
            }

            retired.Add(backend);
            if (!next.ContainsKey(key))
            {
                // Replaced backends were counted as "update" above; only the ones that are gone count as removed.
                metrics.BackendChanged(backend.Name, backend.IsGrpc, BackendChange.Delete);
            }
        }

        _running = next;
        Retire(retired);
        return (ByName(next, isGrpc: false), ByName(next, isGrpc: true));
    }

    /// <summary>Disposes every backend, running or draining, and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task[] retiring;
        lock (_retiringLock)
        {
            retiring = [.. _retiring];
        }

        await Task.WhenAll(retiring);
        var running = _running.Values.Select(r => r.Backend).ToList();
        _running = [];
        foreach (var backend in running)
        {
            await backend.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private static Dictionary<string, Backend> ByName(Dictionary<(bool IsGrpc, string Name), (BackendSpec Spec, Backend Backend)> backends, bool isGrpc)
        => backends.Where(b => b.Key.IsGrpc == isGrpc).ToDictionary(b => b.Key.Name, b => b.Value.Backend, StringComparer.Ordinal);

    private void Retire(List<Backend> backends)
    {
        if (backends.Count == 0)
        {
            return;
        }

        var task = RetireAsync(backends);
        lock (_retiringLock)
        {
            if (!task.IsCompleted)
            {
                _retiring.Add(task);
            }
        }

        _ = task.ContinueWith(
            done =>
            {
                lock (_retiringLock)
                {
                    _retiring.Remove(done);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RetireAsync(List<Backend> backends)
    {
        try
        {
            await Task.Delay(DrainDelay, timeProvider, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: requests had the host's shutdown time to finish; dispose now.
        }

        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }

    /// <summary>
    /// The resolver of a DNS backend (Host or Srv) as kedge builds it; null for other resolvers. <c>kedge check</c>
    /// resolves with the same one.
    /// </summary>
    internal static PollingResolver? CreateDnsResolver(BackendOptions options, KedgeServerSettings settings, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        if (options.Host is { } host)
        {
            return new HostResolver(host.DnsName!, host.Port, settings.DnsRefreshInterval, timeProvider, loggerFactory.CreateLogger<HostResolver>(), CreateLookupClient(settings));
        }

        if (options.Srv is { } srv)
        {
            return new SrvResolver(srv.DnsName!, srv.PortOverride, settings.DnsRefreshInterval, timeProvider, loggerFactory.CreateLogger<SrvResolver>(), CreateLookupClient(settings));
        }

        return null;
    }

    /// <summary>A client of kedge's own DNS servers (<see cref="KedgeServerSettings.DnsServers"/>); null when none are set (the system resolver).</summary>
    internal static LookupClient? CreateLookupClient(KedgeServerSettings settings)
    {
        if (settings.DnsServers.Count == 0)
        {
            return null;
        }

        var servers = settings.DnsServers.Select(s => IPEndPoint.TryParse(s, out var endpoint) && endpoint.Port != 0 ? endpoint : new IPEndPoint(IPAddress.Parse(s), 53)).ToArray();
        return new LookupClient(new LookupClientOptions(servers) { UseCache = false, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });
    }

    private IBackendResolver CreateResolver(BackendOptions options)
    {
        if (options.Static is { } fixedList)
        {
            return new StaticResolver(fixedList.Addresses);
        }

        if (CreateDnsResolver(options, settings, timeProvider, loggerFactory) is { } dns)
        {
            return dns;
        }

        if (options.K8s is { } k8s)
        {
            return new EndpointSliceResolver(options.Name!, K8sTarget.Parse(k8s.DnsPortName), endpointSlices, kubernetesMetrics, timeProvider, loggerFactory.CreateLogger<EndpointSliceResolver>());
        }

        throw new InvalidOperationException("The configuration validator lets no other resolver through.");
    }
}
