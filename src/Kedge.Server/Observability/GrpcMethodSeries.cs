using Prometheus;

namespace Kedge.Server.Observability;

/// <summary>The Go-compatible <c>grpc_server_*</c> series of one gRPC method, one child per status code made when first seen.</summary>
internal sealed class GrpcMethodSeries(Counter started, Counter handled, string service, string method, object seriesLock)
{
    private readonly Counter.Child?[] _handled = new Counter.Child?[GrpcLabels.Codes.Length];
    private volatile bool _removed;

    public string Service { get; } = service;

    public string Method { get; } = method;

    public Counter.Child Started { get; } = started.WithLabels(GrpcLabels.Type, service, method);

    /// <summary>
    /// The child of a status code, made under the metrics' series lock so it cannot reappear after eviction removed this
    /// method; null once it was removed (a request still running on the old configuration is then not counted by name).
    /// </summary>
    public Counter.Child? Handled(int code)
    {
        if (_handled[code] is { } child)
        {
            return child;
        }

        lock (seriesLock)
        {
            return _removed ? null : _handled[code] ??= handled.WithLabels(GrpcLabels.Type, Service, Method, GrpcLabels.Codes[code]);
        }
    }

    /// <summary>Called under the series lock when eviction removes the method's series.</summary>
    public void MarkRemoved() => _removed = true;
}
