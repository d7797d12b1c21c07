using k8s;
using k8s.Models;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// The EndpointSlices of one namespace (those labelled <c>kubernetes.io/service-name</c>), kept by service, and the
/// resolvers that follow them. One watch per namespace serves every backend of every service in it: thousands of
/// backends cost a few watches, not thousands, and a start-up lists each namespace once.
/// </summary>
internal sealed class EndpointSliceNamespaceWatch : IKubernetesWatchHandler<V1EndpointSlice>
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, V1EndpointSlice>> _byService = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<IReadOnlyList<V1EndpointSlice>>>> _subscribers = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EndpointSliceNamespaceWatch(string ns)
    {
        Namespace = ns;
    }

    public string Namespace { get; }

    /// <summary>Completes when the first list has been applied.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Subscribers across all services (the pool stops the watch at zero).</summary>
    public int SubscriberCount { get; private set; }

    /// <summary>Adds a subscriber; it hears the service's current slices at once when the namespace has been listed.</summary>
    public void Subscribe(string service, Action<IReadOnlyList<V1EndpointSlice>> onChange)
    {
        lock (_lock)
        {
            if (!_subscribers.TryGetValue(service, out var list))
            {
                _subscribers[service] = list = [];
            }

            list.Add(onChange);
            SubscriberCount++;
            if (_synced.Task.IsCompleted)
            {
                onChange(SlicesOf(service));
            }
        }
    }

    public void Unsubscribe(string service, Action<IReadOnlyList<V1EndpointSlice>> onChange)
    {
        lock (_lock)
        {
            if (_subscribers.TryGetValue(service, out var list) && list.Remove(onChange))
            {
                SubscriberCount--;
                if (list.Count == 0)
                {
                    _subscribers.Remove(service);
                }
            }
        }
    }

    public void Reset(IList<V1EndpointSlice> items)
    {
        lock (_lock)
        {
            var before = _byService.Keys.ToHashSet(StringComparer.Ordinal);
            _byService.Clear();
            foreach (var slice in items)
            {
                Store(slice);
            }

            // Every subscriber hears the list, including those of services that have no slices (yet).
            before.UnionWith(_byService.Keys);
            before.UnionWith(_subscribers.Keys);
            foreach (var service in before)
            {
                Notify(service);
            }

            _synced.TrySetResult();
        }
    }

    public void Apply(WatchEventType type, V1EndpointSlice item)
    {
        if (ServiceOf(item) is not { } service || item.Metadata?.Name is not { } name)
        {
            return;
        }

        lock (_lock)
        {
            if (type == WatchEventType.Deleted)
            {
                if (_byService.TryGetValue(service, out var slices) && slices.Remove(name) && slices.Count == 0)
                {
                    _byService.Remove(service);
                }
            }
            else
            {
                Store(item);
            }

            Notify(service);
        }
    }

    private void Store(V1EndpointSlice slice)
    {
        if (ServiceOf(slice) is not { } service || slice.Metadata?.Name is not { } name)
        {
            return;
        }

        if (!_byService.TryGetValue(service, out var slices))
        {
            _byService[service] = slices = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
        }

        slices[name] = Trim(slice, service);
    }

    /// <summary>
    /// Keeps only what routing reads (name, labels, address type, ports, addresses and conditions): a real API server's
    /// slices also carry managedFields, annotations, targetRefs, topology and hints, which would otherwise be held for
    /// every slice of every Service in a watched namespace.
    /// </summary>
    private static V1EndpointSlice Trim(V1EndpointSlice slice, string service) => new()
    {
        AddressType = slice.AddressType,
        Metadata = new V1ObjectMeta { Name = slice.Metadata.Name, NamespaceProperty = slice.Metadata.NamespaceProperty, Labels = new Dictionary<string, string> { [ServiceNameLabel] = service }, ResourceVersion = slice.Metadata.ResourceVersion },
        Ports = slice.Ports,
        Endpoints = slice.Endpoints?.Select(e => new V1Endpoint
        {
            Addresses = e.Addresses,
            Conditions = e.Conditions is null ? null : new V1EndpointConditions { Ready = e.Conditions.Ready, Serving = e.Conditions.Serving, Terminating = e.Conditions.Terminating },
        }).ToList(),
    };

    private void Notify(string service)
    {
        if (!_subscribers.TryGetValue(service, out var list))
        {
            return;
        }

        var slices = SlicesOf(service);
        foreach (var subscriber in list)
        {
            subscriber(slices);
        }
    }

    private V1EndpointSlice[] SlicesOf(string service)
        => _byService.TryGetValue(service, out var slices) ? [.. slices.Values] : [];

    private static string? ServiceOf(V1EndpointSlice slice)
        => slice.Metadata?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out var service) ? service : null;
}
