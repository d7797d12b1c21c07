using Grpc.Core;
using Kedge.Testing.Otlp.Proto;

namespace Kedge.Testing.Otlp;

/// <summary>OTLP/gRPC: <c>opentelemetry.proto.collector.trace.v1.TraceService/Export</c>.</summary>
internal sealed class OtlpTraceService(OtlpTraceReceiver receiver) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        receiver.Add(request, OtlpTraceReceiver.GrpcTransport);
        return Task.FromResult(new ExportTraceServiceResponse());
    }
}
