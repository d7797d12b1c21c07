using System.Globalization;
using k8s.Models;
using Kedge.Server.Backends;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// Resolves a backend from the <c>discovery.k8s.io/v1</c> EndpointSlices of a Service: every slice and every endpoint
/// (Go kedge read only the first Endpoints subset). Endpoints whose <c>ready</c> condition is false, or that are
/// <c>terminating</c>, get no new requests. A named port resolves through the slices' port names; a numeric port must
/// be one of the slices' ports; no port means "the only port". Changes are reported as they arrive.
/// </summary>
internal sealed class EndpointSliceResolver : IBackendResolver
{
    private readonly string _backend;
    private readonly K8sTarget _target;
    private readonly EndpointSliceWatchPool _pool;
    private readonly KubernetesMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private EndpointSliceWatchPool.Subscription? _subscription;
    private Action<IReadOnlyList<BackendEndpoint>>? _onChange;
    private BackendEndpoint[]? _last;
    private string? _lastProblem;

    public EndpointSliceResolver(string backend, K8sTarget target, EndpointSliceWatchPool pool, KubernetesMetrics metrics, TimeProvider timeProvider, ILogger logger)
    {
        _backend = backend;
        _target = target;
        _pool = pool;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        _onChange = onChange;
        _metrics.TrackEndpoints(this, () => (_backend, Volatile.Read(ref _last)?.Length ?? 0));
        _subscription = _pool.Subscribe(_target.Namespace, _target.Service, Update);
        try
        {
            await _subscription.Synced.WaitAsync(_subscription.RemainingSyncWait, _timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The API server is not answering yet: start empty and follow when it does, rather than block the apply.
            KedgeServerLog.KubernetesInitialSyncTimedOut(_logger, $"endpointslices/{_target.Namespace}", _pool.Options.InitialSyncTimeout, _backend);
        }
    }

    public ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _metrics.UntrackEndpoints(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Computes the endpoints from the service's slices (called by the namespace watch, one call at a time).</summary>
    internal void Update(IReadOnlyList<V1EndpointSlice> slices)
    {
        var endpoints = Resolve(slices, _target, out var problem);
        if (problem is not null && problem != _lastProblem)
        {
            KedgeServerLog.KubernetesPortNotResolved(_logger, _backend, _target.ToString(), problem);
        }

        _lastProblem = problem;
        if (_last is null || !_last.SequenceEqual(endpoints))
        {
            Volatile.Write(ref _last, endpoints);
            _onChange?.Invoke(endpoints);
        }
    }

    /// <summary>The ready, non-terminating endpoints of <paramref name="slices"/> on the target's port, sorted.</summary>
    internal static BackendEndpoint[] Resolve(IReadOnlyList<V1EndpointSlice> slices, K8sTarget target, out string? problem)
    {
        problem = null;
        int? onlyPort = null;
        if (target.PortName is null && target.PortNumber is null)
        {
            var ports = slices.SelectMany(s => s.Ports ?? []).Where(p => p.Port is not null).Select(p => p.Port!.Value).Distinct().Order().ToList();
            if (ports.Count > 1)
            {
                // Go kedge's message.
                problem = $"we got [{string.Join(' ', ports.Select(p => p.ToString(CultureInfo.InvariantCulture)))}] ports and target port is not specified. Don't know what to choose";
                return [];
            }

            onlyPort = ports.Count == 1 ? ports[0] : null;
        }

        var result = new HashSet<BackendEndpoint>();
        var portFound = false;
        // Dual-stack Services have an IPv4 and an IPv6 slice for the same pods: use one family (IPv4 when there is any),
        // so a pod is one endpoint, not two. FQDN slices name no address to connect to.
        var family = slices.Any(s => s.AddressType == "IPv4") ? "IPv4" : "IPv6";
        foreach (var slice in slices.Where(s => s.AddressType is null || s.AddressType == family))
        {
            var port = onlyPort ?? PortOf(slice, target);
            if (port is null)
            {
                continue;
            }

            portFound = true;
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // A missing ready condition means ready (the API's rule); terminating endpoints take no new requests.
                if (endpoint.Conditions?.Ready == false || endpoint.Conditions?.Terminating == true)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    result.Add(new BackendEndpoint(address, port.Value));
                }
            }
        }

        if (!portFound && slices.Count > 0)
        {
            problem = target.PortName is not null ? $"no port named '{target.PortName}' in the service's EndpointSlices"
                : target.PortNumber is not null ? $"no port {target.PortNumber} in the service's EndpointSlices"
                : "retrieved subset update contains no port";
        }

        return [.. result.OrderBy(e => e.Authority, StringComparer.Ordinal)];
    }

    private static int? PortOf(V1EndpointSlice slice, K8sTarget target)
    {
        foreach (var port in slice.Ports ?? [])
        {
            if (port.Port is not { } number)
            {
                continue;
            }

            if (target.PortName is not null ? port.Name == target.PortName : port.Port == target.PortNumber)
            {
                return number;
            }
        }

        return null;
    }
}
