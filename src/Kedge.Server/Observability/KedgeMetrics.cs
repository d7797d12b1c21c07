using System.Diagnostics.Metrics;

namespace Kedge.Server.Observability;

/// <summary>Kedge's instruments (meter <c>Kedge.Server</c>), exported as Prometheus text on the admin port.</summary>
internal sealed class KedgeMetrics : IDisposable
{
    public const string MeterName = "Kedge.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _proxyErrors;
    private readonly Counter<long> _configReloadFailures;
    private readonly Counter<long> _httpBackendChanges;
    private readonly Counter<long> _grpcBackendChanges;
    private readonly Histogram<double> _requestDuration;

    public KedgeMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _proxyErrors = _meter.CreateCounter<long>("kedge_proxy_errors", description: "Requests kedge failed to proxy, by backend and error type.");
        _configReloadFailures = _meter.CreateCounter<long>("kedge_config_reload_failures", description: "Configuration changes rejected as invalid.");
        _httpBackendChanges = _meter.CreateCounter<long>("kedge_http_backend_configuration_changes", description: "HTTP backends created, updated or removed by configuration changes.");
        _grpcBackendChanges = _meter.CreateCounter<long>("kedge_grpc_backend_configuration_changes", description: "gRPC backends created, updated or removed by configuration changes.");
        _requestDuration = _meter.CreateHistogram<double>("kedge_request_duration", unit: "s", description: "Proxied request duration by backend and protocol.");
    }

    public void ProxyError(string backend, string type)
        => _proxyErrors.Add(1, new KeyValuePair<string, object?>("backend_name", backend), new KeyValuePair<string, object?>("type", type));

    public void ConfigReloadFailed() => _configReloadFailures.Add(1);

    public void BackendChanged(string backend, bool isGrpc, string action)
        => (isGrpc ? _grpcBackendChanges : _httpBackendChanges).Add(1, new("backend_name", backend), new("action", action));

    public void RequestCompleted(string backend, string protocol, int statusCode, TimeSpan duration)
        => _requestDuration.Record(duration.TotalSeconds, new("backend_name", backend), new("protocol", protocol), new("code", statusCode));

    public void ObserveEndpoints(Func<IEnumerable<Measurement<int>>> observe)
        => _meter.CreateObservableGauge("kedge_backend_endpoints", observe, description: "Resolved endpoints per backend.");

    public void Dispose() => _meter.Dispose();
}
