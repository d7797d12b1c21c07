using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Kedge.Server.Observability;

/// <summary>
/// The labelled series of one route, backend and protocol, created once and cached on the route, so recording a request
/// costs lock-free adds on children already found: no label-array lookup on the hot path. Series that depend on what
/// the request carried (method, status, gRPC method) are cached here by a small key; gRPC method names, which callers
/// choose, are capped per route (<see cref="MaxGrpcMethods"/>), beyond which they count as <c>other</c>.
/// </summary>
internal sealed class RequestStats
{
    /// <summary>The distinct gRPC methods one route reports by name before the rest count as <c>other</c>.</summary>
    public const int MaxGrpcMethods = 64;

    private const int UnimplementedCode = 12;

    private static readonly string[] Classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly KedgeMetrics _metrics;
    private readonly Counter.Child?[] _byClass = new Counter.Child?[Classes.Length];
    private readonly ConcurrentDictionary<RequestShape, ShapeSeries> _byShape = new();
    private readonly ConcurrentDictionary<string, GrpcMethodSeries> _grpcMethods = new(StringComparer.Ordinal);
    private readonly bool _namesGrpcMethods;
    private volatile bool _grpcMethodsFull;
    private volatile bool _removed;

    public RequestStats(KedgeMetrics metrics, string route, string backend, string protocol)
    {
        _metrics = metrics;
        Route = route;
        Backend = backend;
        Protocol = protocol;
        IsGrpc = protocol == "grpc";
        // A request no route claimed names whatever the caller sent; only routed requests name their gRPC method.
        _namesGrpcMethods = route.Length > 0;
        Duration = metrics.RequestDuration.WithLabels(route, backend, protocol);
    }

    public string Route { get; }

    public string Backend { get; }

    public string Protocol { get; }

    public bool IsGrpc { get; }

    public Histogram.Child Duration { get; }

    /// <summary>The dashboard's per-second ring of this route (fed by <see cref="KedgeRequestTelemetry"/>).</summary>
    public Dashboard.RouteLiveStats Live { get; } = new();

    /// <summary>The gRPC methods this route has named (for eviction: a method no live route names loses its series).</summary>
    public ICollection<string> GrpcMethods => _grpcMethods.Keys;

    /// <summary>A reload removed the route: eviction took its series, and a late request must not bring them back. Called by eviction, under <see cref="KedgeMetrics.SeriesLock"/>.</summary>
    public void MarkRemoved() => _removed = true;

    /// <summary>
    /// Records a request. One still running when a reload removed the route is not recorded (its series went with the
    /// route; counting it as unrouted would report a route miss that never happened). Series are made under the
    /// metrics' series lock, which eviction holds, so none reappears after it.
    /// </summary>
    public void Record(HttpContext context, string? errorType, int statusCode, double seconds, int? grpcStatus)
    {
        if (_removed)
        {
            return;
        }

        var codeClass = Math.Clamp((statusCode / 100) - 1, 0, Classes.Length - 1);
        var requests = _byClass[codeClass];
        if (requests is null)
        {
            lock (_metrics.SeriesLock)
            {
                if (_removed)
                {
                    return;
                }

                requests = _byClass[codeClass] ??= _metrics.Requests.WithLabels(Route, Backend, Protocol, Classes[codeClass]);
            }
        }

        Duration.Observe(seconds);
        requests.Inc();

        var request = context.Request;
        var shape = new RequestShape(HttpLabels.MethodIndex(request.Method), HttpLabels.VersionIndex(request.Protocol), statusCode, errorType);
        if (!_byShape.TryGetValue(shape, out var series))
        {
            lock (_metrics.SeriesLock)
            {
                if (_removed)
                {
                    return;
                }

                series = _byShape.GetOrAdd(shape, static (key, stats) => stats.CreateShape(key), this);
            }
        }

        series.SemconvDuration.Observe(seconds);
        if (IsGrpc)
        {
            var status = GrpcLabels.OrUnknown(grpcStatus);
            if (MethodSeries(request.Path.Value ?? string.Empty, status != UnimplementedCode) is { } method)
            {
                method.Started.Inc();
                method.Handled(status)?.Inc();
            }
        }
        else
        {
            series.HandlerStarted!.Inc();
            series.HandlerCompleted!.Inc();
        }
    }

    private ShapeSeries CreateShape(RequestShape shape)
    {
        var status = HttpLabels.Status(shape.StatusCode);
        var errorType = HttpLabels.ErrorType(shape.ErrorType, shape.StatusCode) ?? string.Empty;
        var semconv = _metrics.SemconvDuration.WithLabels(HttpLabels.SemconvMethods[shape.Method], status, HttpLabels.Versions[shape.Version], Route, errorType);
        if (IsGrpc)
        {
            return new ShapeSeries(semconv, null, null);
        }

        var method = HttpLabels.GoMethods[shape.Method];
        return new ShapeSeries(
            semconv,
            _metrics.HandlerStarted.WithLabels("proxy", Backend, string.Empty, string.Empty, method),
            _metrics.HandlerCompleted.WithLabels("proxy", Backend, string.Empty, string.Empty, method, status));
    }

    // A method the backend does not know (Unimplemented) takes no name: made-up paths would use up the route's names.
    private GrpcMethodSeries? MethodSeries(string path, bool mayName)
    {
        if (!_namesGrpcMethods)
        {
            return _metrics.UnroutedGrpcMethod;
        }

        if (_grpcMethods.TryGetValue(path, out var series))
        {
            return series;
        }

        if (_grpcMethodsFull || !mayName)
        {
            return _metrics.OtherGrpcMethod; // no lock for the calls past the cap: a flood of made-up names takes this path
        }

        // The series lock, not one of this route's: eviction decides which methods no route names under it.
        lock (_metrics.SeriesLock)
        {
            if (_grpcMethods.TryGetValue(path, out series))
            {
                return series;
            }

            if (_removed)
            {
                return null;
            }

            if (_grpcMethods.Count >= MaxGrpcMethods)
            {
                _grpcMethodsFull = true;
                return _metrics.OtherGrpcMethod;
            }

            series = _metrics.GrpcMethod(path);
            _grpcMethods[path] = series;
            return series;
        }
    }
}
