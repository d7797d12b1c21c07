using Prometheus;

namespace Kedge.Server.Observability;

/// <summary>The Go-compatible <c>grpc_server_*</c> series of one gRPC method, one child per status code made when first seen.</summary>
internal sealed class GrpcMethodSeries(Counter started, Counter handled, string service, string method)
{
    private readonly Counter.Child?[] _handled = new Counter.Child?[GrpcLabels.Codes.Length];

    public string Service { get; } = service;

    public string Method { get; } = method;

    public Counter.Child Started { get; } = started.WithLabels(GrpcLabels.Type, service, method);

    public Counter.Child Handled(int code) => _handled[code] ??= handled.WithLabels(GrpcLabels.Type, Service, Method, GrpcLabels.Codes[code]);
}
