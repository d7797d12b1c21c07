using System.Collections.Concurrent;
using Kedge.Server.Backends;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Kedge.Server.Observability;

/// <summary>
/// kedge's metrics, in the host's own prometheus-net <see cref="CollectorRegistry"/> (served on the admin port). The
/// names and labels are the metric contract of the server README. Series of backends and routes a reload removed are
/// evicted (<see cref="ConfigApplied"/>); label values a caller chooses (Host, path, gRPC method) are bounded.
/// </summary>
internal sealed class KedgeMetrics
{
    /// <summary>The meter of kedge's own System.Diagnostics.Metrics instruments (Kubernetes watches and discovery).</summary>
    public const string MeterName = "Kedge.Server";

    /// <summary>Upper bounds (seconds) of <c>kedge_request_duration_seconds</c> and the semantic-convention histogram.</summary>
    public static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Upper bounds (seconds) of <c>kedge_tunnel_duration_seconds</c>: tunnels live from milliseconds to hours.</summary>
    public static readonly double[] TunnelDurationBuckets = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 14400];

    private readonly TimeProvider _timeProvider;
    private readonly Counter _proxyErrors;
    private readonly Counter _configReloadFailures;
    private readonly Counter.Child _reloadSucceeded;
    private readonly Counter.Child _reloadFailed;
    private readonly Gauge _lastReloadSuccess;
    private readonly Counter _httpBackendChanges;
    private readonly Counter _grpcBackendChanges;
    private readonly Counter _backendRetries;
    private readonly Gauge _backendEndpoints;
    private readonly Gauge _certificateExpiry;
    private readonly Counter _tunnelsOpened;
    private readonly Gauge _tunnelsActive;
    private readonly Counter _tunnelBytes;
    private readonly Histogram _tunnelDuration;
    private readonly Counter _tunnelsClosed;
    private readonly ConcurrentDictionary<(string Route, string Backend, string Protocol), RequestStats> _stats = new();
    private readonly ConcurrentDictionary<string, GrpcMethodSeries> _grpcMethods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<DateTimeOffset?>> _certificates = new(StringComparer.Ordinal);
    private readonly RequestStats _unroutedHttp;
    private readonly RequestStats _unroutedGrpc;
    private Func<IEnumerable<Backend>> _backends = static () => [];

    public KedgeMetrics(CollectorRegistry registry, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var factory = Metrics.WithCustomRegistry(registry);
        // No exemplars: prometheus-net asks for one from the trace context on every observation, which measured at about
        // half the cost of recording a request (~100 ns), traced or not.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _proxyErrors = factory.CreateCounter("kedge_proxy_errors_total", "Requests kedge failed to proxy, by backend and error type.", "backend_name", "type");
        _configReloadFailures = factory.CreateCounter("kedge_config_reload_failures_total", "Configuration changes rejected as invalid (kept from earlier releases; kedge_config_reloads_total{result=\"failure\"} counts the same).");
        var reloads = factory.CreateCounter("kedge_config_reloads_total", "Configuration changes applied (success) or rejected (failure).", "result");
        _reloadSucceeded = reloads.WithLabels("success");
        _reloadFailed = reloads.WithLabels("failure");
        _lastReloadSuccess = factory.CreateGauge("kedge_config_last_reload_success_timestamp_seconds", "When the configuration in force was applied (Unix time).",
            new GaugeConfiguration { SuppressInitialValue = true });
        _httpBackendChanges = factory.CreateCounter("kedge_http_backend_configuration_changes_total", "HTTP backends created, updated or deleted by configuration changes (action: create, update, delete).", "backend_name", "action");
        _grpcBackendChanges = factory.CreateCounter("kedge_grpc_backend_configuration_changes_total", "gRPC backends created, updated or deleted by configuration changes (action: create, update, delete).", "backend_name", "action");
        _backendRetries = factory.CreateCounter("kedge_backend_retries_total", "Requests sent to another endpoint after a failure, by backend and reason (connect: nothing was sent; resend_idempotent: the route's ResendIdempotentOnce).", "backend_name", "reason");
        _backendEndpoints = factory.CreateGauge("kedge_backend_endpoints", "Resolved endpoints per backend: healthy (in rotation) or ejected after a connect failure.", "backend_name", "state");
        _certificateExpiry = factory.CreateGauge("kedge_certificate_expiry_timestamp_seconds", "When a certificate kedge serves or trusts expires (Unix time): server (its TLS certificate), client_ca (the earliest of the client CA bundle).", "certificate");
        _tunnelsOpened = factory.CreateCounter("kedge_tunnels_opened_total", "TCP tunnels opened (CONNECT answered 200), by route and backend (_adhoc for adhoc rules).", "route", "backend_name");
        _tunnelsActive = factory.CreateGauge("kedge_tunnels_active", "TCP tunnels open now, by route and backend.", "route", "backend_name");
        _tunnelBytes = factory.CreateCounter("kedge_tunnel_bytes_total", "Bytes carried by TCP tunnels, by route, backend and direction (upstream: caller to backend; downstream: backend to caller).", "route", "backend_name", "direction");
        _tunnelDuration = factory.CreateHistogram("kedge_tunnel_duration_seconds", "How long TCP tunnels stayed open, by route and backend.",
            ["route", "backend_name"], new HistogramConfiguration { Buckets = TunnelDurationBuckets });
        _tunnelsClosed = factory.CreateCounter("kedge_tunnels_closed_total", "TCP tunnels ended, by route, backend and reason (client_closed, backend_closed, connect_failed, shutdown, error).", "route", "backend_name", "reason");
        RequestDuration = factory.CreateHistogram("kedge_request_duration_seconds", "Time from a request's arrival until its response is done, by route, backend and protocol.",
            ["route", "backend_name", "protocol"], new HistogramConfiguration { Buckets = DurationBuckets });
        Requests = factory.CreateCounter("kedge_requests_total", "Requests kedge answered on its proxy ports, by route, backend, protocol and status class.", "route", "backend_name", "protocol", "code_class");
        HandlerStarted = factory.CreateCounter("http_handler_started_requests_total", "Go kedge compatible (go-httpwares): HTTP requests, by backend (handler) and method. Counted when the request ends.", "name", "handler", "host", "path", "method");
        HandlerCompleted = factory.CreateCounter("http_handler_completed_requests_total", "Go kedge compatible (go-httpwares): HTTP requests completed, by backend (handler), method and status.", "name", "handler", "host", "path", "method", "status");
        GrpcStarted = factory.CreateCounter("grpc_server_started_total", "Go kedge compatible (go-grpc-prometheus): gRPC calls started, by service and method (bounded per route; 'other' beyond).", "grpc_type", "grpc_service", "grpc_method");
        GrpcHandled = factory.CreateCounter("grpc_server_handled_total", "Go kedge compatible (go-grpc-prometheus): gRPC calls completed, by service, method and status code.", "grpc_type", "grpc_service", "grpc_method", "grpc_code");
        SemconvDuration = factory.CreateHistogram("http_server_request_duration_seconds", "OpenTelemetry semantic conventions (http.server.request.duration) for the proxy ports; http_route is the kedge route.",
            ["http_request_method", "http_response_status_code", "network_protocol_version", "http_route", "error_type"], new HistogramConfiguration { Buckets = DurationBuckets });
        UnroutedGrpcMethod = new GrpcMethodSeries(GrpcStarted, GrpcHandled, string.Empty, string.Empty, SeriesLock);
        OtherGrpcMethod = new GrpcMethodSeries(GrpcStarted, GrpcHandled, "other", "other", SeriesLock);
        _unroutedHttp = StatsFor(string.Empty, string.Empty, "http");
        _unroutedGrpc = StatsFor(string.Empty, string.Empty, "grpc");
        registry.AddBeforeCollectCallback(UpdateGauges);
    }

    internal Histogram RequestDuration { get; }

    internal Counter Requests { get; }

    internal Counter HandlerStarted { get; }

    internal Counter HandlerCompleted { get; }

    internal Counter GrpcStarted { get; }

    internal Counter GrpcHandled { get; }

    internal Histogram SemconvDuration { get; }

    /// <summary>The gRPC calls no route claimed: their method is the caller's choice, so it is not a label value.</summary>
    internal GrpcMethodSeries UnroutedGrpcMethod { get; }

    /// <summary>
    /// Taken to create a series lazily and to evict: a request still running on a removed route's statistics cannot
    /// recreate what eviction removed, and a route cannot name a gRPC method while eviction decides it is unnamed.
    /// Recording on series already made takes no lock.
    /// </summary>
    internal object SeriesLock { get; } = new();

    /// <summary>The gRPC methods of a route beyond <see cref="RequestStats.MaxGrpcMethods"/>.</summary>
    internal GrpcMethodSeries OtherGrpcMethod { get; }

    public void ProxyError(string backend, string type) => _proxyErrors.WithLabels(backend, type).Inc();

    public void ConfigReloadFailed()
    {
        _configReloadFailures.Inc();
        _reloadFailed.Inc();
    }

    /// <summary>A tunnel was opened (its 200 sent).</summary>
    public void TunnelOpened(string route, string backend)
    {
        _tunnelsOpened.WithLabels(route, backend).Inc();
        _tunnelsActive.WithLabels(route, backend).Inc();
    }

    /// <summary>Bytes a tunnel carried, counted as they pass.</summary>
    public void TunnelBytes(string route, string backend, string direction, long bytes) => _tunnelBytes.WithLabels(route, backend, direction).Inc(bytes);

    /// <summary>An opened tunnel ended.</summary>
    public void TunnelClosed(string route, string backend, string reason, TimeSpan duration)
    {
        _tunnelsActive.WithLabels(route, backend).Dec();
        _tunnelDuration.WithLabels(route, backend).Observe(duration.TotalSeconds);
        _tunnelsClosed.WithLabels(route, backend, reason).Inc();
    }

    /// <summary>A tunnel that matched a route or adhoc rule was never opened: no endpoint could be connected.</summary>
    public void TunnelConnectFailed(string route, string backend) => _tunnelsClosed.WithLabels(route, backend, "connect_failed").Inc();

    public void BackendRetried(string backend, string reason) => _backendRetries.WithLabels(backend, reason).Inc();

    public void BackendChanged(string backend, bool isGrpc, BackendChange change)
        => (isGrpc ? _grpcBackendChanges : _httpBackendChanges).WithLabels(backend, ActionLabel(change)).Inc();

    /// <summary>Go kedge's label values (reference: pkg/metrics/backend_configuration.go).</summary>
    internal static string ActionLabel(BackendChange change) => change switch
    {
        BackendChange.Create => "create",
        BackendChange.Update => "update",
        _ => "delete",
    };

    /// <summary>The request series of one route, backend and protocol (created once, then shared across reloads that keep them).</summary>
    public RequestStats StatsFor(string route, string backend, string protocol)
        => _stats.GetOrAdd((route, backend, protocol), static (key, metrics) => new RequestStats(metrics, key.Route, key.Backend, key.Protocol), this);

    /// <summary>The request series of a route when it has served a request since it was configured (the dashboard reads them; it creates none).</summary>
    public RequestStats? FindStats(string route, string backend, string protocol) => _stats.TryGetValue((route, backend, protocol), out var stats) ? stats : null;

    /// <summary>The backends whose endpoints <c>kedge_backend_endpoints</c> reports, read at each scrape.</summary>
    public void ObserveBackends(Func<IEnumerable<Backend>> backends) => _backends = backends;

    /// <summary>Reports the expiry of a certificate kedge serves or trusts (read at each scrape: it follows file reloads).</summary>
    public void TrackCertificate(string certificate, Func<DateTimeOffset?> notAfter) => _certificates[certificate] = notAfter;

    internal GrpcMethodSeries GrpcMethod(string path) => _grpcMethods.GetOrAdd(path, static (p, metrics) =>
    {
        var (service, method) = GrpcLabels.Split(p);
        return new GrpcMethodSeries(metrics.GrpcStarted, metrics.GrpcHandled, service, method, metrics.SeriesLock);
    }, this);

    /// <summary>Records one request kedge answered on a proxy port, once its response is done.</summary>
    public void RequestCompleted(HttpContext context, KedgeRequestFeature request, TimeSpan elapsed, int? grpcStatus)
    {
        var stats = request.Stats ?? (request.IsGrpc ? _unroutedGrpc : _unroutedHttp);
        stats.Record(context, request.ErrorType, context.Response.StatusCode, elapsed.TotalSeconds, grpcStatus);
    }

    /// <summary>
    /// A configuration was applied: counts it and evicts the series of the routes and backends it no longer has (a
    /// backend's configuration-change counts stay: they record that it was deleted).
    /// </summary>
    public void ConfigApplied(IReadOnlyCollection<(string Route, string Backend, string Protocol)> routes, IReadOnlyCollection<string> backends)
    {
        _reloadSucceeded.Inc();
        _lastReloadSuccess.Set(_timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);

        var adhoc = Forwarding.KedgeProxyMiddleware.AdhocBackendName;
        var liveStats = new HashSet<(string, string, string)>(routes)
        {
            (string.Empty, string.Empty, "http"), (string.Empty, string.Empty, "grpc"), (adhoc, adhoc, "http"), (adhoc, adhoc, "grpc"),
        };
        var liveRoutes = new HashSet<string>(liveStats.Select(r => r.Item1), StringComparer.Ordinal);
        var liveBackends = new HashSet<string>(backends, StringComparer.Ordinal) { string.Empty, adhoc };
        lock (SeriesLock)
        {
            Evict(liveStats, liveRoutes, liveBackends);
        }
    }

    private void Evict(HashSet<(string, string, string)> liveStats, HashSet<string> liveRoutes, HashSet<string> liveBackends)
    {
        var dead = _stats.Where(s => !liveStats.Contains(s.Key)).ToList();
        foreach (var (key, _) in dead)
        {
            if (_stats.TryRemove(key, out var removed))
            {
                removed.MarkRemoved();
            }
        }

        RemoveWhere(RequestDuration, labels => !liveStats.Contains((labels[0], labels[1], labels[2])));
        RemoveWhere(Requests, labels => !liveStats.Contains((labels[0], labels[1], labels[2])));
        RemoveWhere(SemconvDuration, labels => !liveRoutes.Contains(labels[3]));
        RemoveWhere(HandlerStarted, labels => !liveBackends.Contains(labels[1]));
        RemoveWhere(HandlerCompleted, labels => !liveBackends.Contains(labels[1]));
        RemoveWhere(_proxyErrors, labels => !liveBackends.Contains(labels[0]));
        RemoveWhere(_backendRetries, labels => !liveBackends.Contains(labels[0]));
        // A removed tunnel route's series go; an open tunnel on it keeps counting into series made anew (not locked:
        // a tunnel outliving its route is rare, and its numbers are still true).
        RemoveWhere(_tunnelsOpened, labels => !liveRoutes.Contains(labels[0]));
        RemoveWhere(_tunnelsActive, labels => !liveRoutes.Contains(labels[0]) && _tunnelsActive.WithLabels(labels).Value == 0);
        RemoveWhere(_tunnelBytes, labels => !liveRoutes.Contains(labels[0]));
        RemoveWhere(_tunnelDuration, labels => !liveRoutes.Contains(labels[0]));
        RemoveWhere(_tunnelsClosed, labels => !liveRoutes.Contains(labels[0]));

        // A gRPC method's series have no route label: they go when no remaining route has named the method.
        var named = new HashSet<string>(_stats.Values.SelectMany(s => s.GrpcMethods), StringComparer.Ordinal);
        foreach (var path in dead.SelectMany(d => d.Value.GrpcMethods).Where(p => !named.Contains(p)).Distinct(StringComparer.Ordinal))
        {
            if (_grpcMethods.TryRemove(path, out var series))
            {
                series.MarkRemoved();
                RemoveWhere(GrpcStarted, labels => labels[1] == series.Service && labels[2] == series.Method);
                RemoveWhere(GrpcHandled, labels => labels[1] == series.Service && labels[2] == series.Method);
            }
        }
    }

    private void UpdateGauges()
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var backend in _backends())
        {
            present.Add(backend.Name);
            var ejected = backend.EjectedCount();
            _backendEndpoints.WithLabels(backend.Name, "healthy").Set(Math.Max(0, backend.Endpoints.Count - ejected));
            _backendEndpoints.WithLabels(backend.Name, "ejected").Set(ejected);
        }

        RemoveWhere(_backendEndpoints, labels => !present.Contains(labels[0]));
        foreach (var (certificate, notAfter) in _certificates)
        {
            if (notAfter() is { } expiry)
            {
                _certificateExpiry.WithLabels(certificate).Set(expiry.ToUnixTimeSeconds());
            }
        }
    }

    private static void RemoveWhere<TChild>(Collector<TChild> collector, Func<string[], bool> remove)
        where TChild : ChildBase
    {
        foreach (var labels in collector.GetAllLabelValues().Where(remove).ToList())
        {
            collector.RemoveLabelled(labels);
        }
    }
}
