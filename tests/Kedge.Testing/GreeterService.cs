using Grpc.Core;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Kedge.Testing;

/// <summary>The test greeter: all four call kinds, each reply reporting what arrived.</summary>
public sealed class GreeterService : Greeter.Greeter.GreeterBase
{
    public override async Task<HelloReply> SayHello(HelloRequest request, ServerCallContext context)
    {
        await DelayAsync(request, context).ConfigureAwait(false);
        return Reply($"Hello {request.Name}", context);
    }

    public override async Task SayHellos(HelloRequest request, IServerStreamWriter<HelloReply> responseStream, ServerCallContext context)
    {
        for (var i = 0; i < request.Count; i++)
        {
            await DelayAsync(request, context).ConfigureAwait(false);
            await responseStream.WriteAsync(Reply($"Hello {request.Name} {i}", context)).ConfigureAwait(false);
        }
    }

    public override async Task<HelloReply> CollectHellos(IAsyncStreamReader<HelloRequest> requestStream, ServerCallContext context)
    {
        var names = new List<string>();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            names.Add(request.Name);
        }

        return Reply($"Hello {string.Join(", ", names)}", context);
    }

    public override async Task Chat(IAsyncStreamReader<HelloRequest> requestStream, IServerStreamWriter<HelloReply> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(Reply($"Hello {request.Name}", context)).ConfigureAwait(false);
        }
    }

    private static Task DelayAsync(HelloRequest request, ServerCallContext context)
        => request.DelayMs > 0 ? Task.Delay(request.DelayMs, context.CancellationToken) : Task.CompletedTask;

    private static HelloReply Reply(string message, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return new HelloReply
        {
            Message = message,
            Authority = context.Host,
            ClientCertificateSubject = http.Connection.ClientCertificate?.Subject ?? "",
            ProxyAuthorization = context.RequestHeaders.GetValue("proxy-authorization") ?? "",
            Authorization = context.RequestHeaders.GetValue("authorization") ?? "",
            ConnectionId = http.Connection.Id,
            Sni = http.Features.Get<ITlsHandshakeFeature>()?.HostName ?? "",
        };
    }
}
