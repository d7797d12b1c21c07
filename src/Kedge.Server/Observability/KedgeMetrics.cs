using System.Diagnostics.Metrics;

namespace Kedge.Server.Observability;

/// <summary>Kedge's instruments (meter <c>Kedge.Server</c>), exported as Prometheus text on the admin port.</summary>
internal sealed class KedgeMetrics : IDisposable
{
    public const string MeterName = "Kedge.Server";

    private readonly Meter _meter;
    private volatile bool _disposed;
    private readonly Counter<long> _proxyErrors;
    private readonly Counter<long> _configReloadFailures;
    private readonly Counter<long> _httpBackendChanges;
    private readonly Counter<long> _grpcBackendChanges;
    private readonly Counter<long> _backendRetries;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Route, string Backend, string Protocol), RequestStats> _stats = new();

    public KedgeMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _proxyErrors = _meter.CreateCounter<long>("kedge_proxy_errors", description: "Requests kedge failed to proxy, by backend and error type.");
        _configReloadFailures = _meter.CreateCounter<long>("kedge_config_reload_failures", description: "Configuration changes rejected as invalid.");
        _httpBackendChanges = _meter.CreateCounter<long>("kedge_http_backend_configuration_changes", description: "HTTP backends created, updated or deleted by configuration changes (action: create, update, delete).");
        _grpcBackendChanges = _meter.CreateCounter<long>("kedge_grpc_backend_configuration_changes", description: "gRPC backends created, updated or deleted by configuration changes (action: create, update, delete).");
        _backendRetries = _meter.CreateCounter<long>("kedge_backend_retries", description: "Requests sent to another endpoint after a failure, by backend and reason (connect: nothing was sent; resend_idempotent: the route's ResendIdempotentOnce).");
        _meter.CreateObservableCounter("kedge_requests", () => _stats.Values.SelectMany(st => st.Counts().Select(c =>
            new Measurement<long>(c.Count, new("route", st.Route), new("backend_name", st.Backend), new("protocol", st.Protocol), new("code_class", c.CodeClass)))),
            description: "Proxied requests by route, backend, protocol and status class.");
        _meter.CreateObservableCounter("kedge_request_duration_seconds", () => _stats.Values.Select(st =>
            new Measurement<double>(st.DurationSeconds, new("route", st.Route), new("backend_name", st.Backend), new("protocol", st.Protocol))),
            description: "Total time spent proxying requests, by route, backend and protocol (divide by kedge_requests_total for the mean).");
        _meter.CreateObservableCounter("kedge_request_duration_bucket", () => _stats.Values.SelectMany(st => st.Buckets().Select(b =>
            new Measurement<long>(b.Count, new("route", st.Route), new("backend_name", st.Backend), new("protocol", st.Protocol), new("le", b.Le)))),
            description: "Proxied requests that took at most 'le' seconds (cumulative; use with histogram_quantile).");
    }

    public void ProxyError(string backend, string type)
        => _proxyErrors.Add(1, new KeyValuePair<string, object?>("backend_name", backend), new KeyValuePair<string, object?>("type", type));

    public void ConfigReloadFailed() => _configReloadFailures.Add(1);

    public void BackendRetried(string backend, string reason)
        => _backendRetries.Add(1, new KeyValuePair<string, object?>("backend_name", backend), new KeyValuePair<string, object?>("reason", reason));

    public void BackendChanged(string backend, bool isGrpc, BackendChange change)
        => (isGrpc ? _grpcBackendChanges : _httpBackendChanges).Add(1, new("backend_name", backend), new("action", ActionLabel(change)));

    /// <summary>Go kedge's label values (reference: pkg/metrics/backend_configuration.go).</summary>
    internal static string ActionLabel(BackendChange change) => change switch
    {
        BackendChange.Create => "create",
        BackendChange.Update => "update",
        _ => "delete",
    };

    /// <summary>The request statistics of one route, backend and protocol (created once, then shared across reloads).</summary>
    public RequestStats StatsFor(string route, string backend, string protocol)
        => _stats.GetOrAdd((route, backend, protocol), static key => new RequestStats(key.Route, key.Backend, key.Protocol));

    public void ObserveEndpoints(Func<IEnumerable<Measurement<int>>> observe)
        => _meter.CreateObservableGauge("kedge_backend_endpoints", observe, description: "Resolved endpoints per backend.");

    /// <summary>Records one request kedge answered on a proxy port, once its response is done.</summary>
    public void RequestCompleted(KedgeRequestFeature request, int statusCode, long elapsedTicks)
    {
        if (_disposed)
        {
            return; // a request that outlived the host has nothing left to record into
        }

        request.Stats?.Record(statusCode, elapsedTicks);
    }

    public void Dispose()
    {
        _disposed = true;
        _meter.Dispose();
    }
}
