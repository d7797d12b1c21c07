using System.Diagnostics.Metrics;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Http;
using Kedge.Client.Mapping;
using Kedge.Common.Http;
using Kedge.Winch.Commands;
using Kedge.Winch.Routing;

namespace Kedge.Winch.Proxy;

/// <summary>
/// The Kedge.Client clients winch sends through: one for the HTTP proxy's routes and one for the gRPC proxy's (each
/// pools its TLS connections per kedge address), sharing the client certificate and trust settings; plus the direct
/// handler for targets that are not kedge destinations.
/// </summary>
internal sealed class WinchKedgeClients : IDisposable
{
    private WinchKedgeClients(KedgeClient http, KedgeClient grpc, HttpMessageInvoker httpInvoker, HttpMessageInvoker grpcInvoker)
    {
        Http = http;
        Grpc = grpc;
        HttpInvoker = httpInvoker;
        GrpcInvoker = grpcInvoker;
    }

    public KedgeClient Http { get; }

    public KedgeClient Grpc { get; }

    /// <summary>Kedge destinations through kedge, everything else directly (never through an HTTP_PROXY, which may be winch).</summary>
    public HttpMessageInvoker HttpInvoker { get; }

    /// <summary>Kedge destinations only; the gRPC proxy refuses the rest before sending.</summary>
    public HttpMessageInvoker GrpcInvoker { get; }

    public static WinchKedgeClients Create(WinchSettings settings, WinchMappers mappers, ILoggerFactory loggerFactory, TimeProvider timeProvider, IMeterFactory? meterFactory)
    {
        KedgeClient CreateClient(KedgeMapper mapper)
        {
            var options = new KedgeClientOptions { Mapper = mapper };
            if (settings.ClientInsecure)
            {
                options.AcceptAnyKedgeCertificate();
            }

            if (settings.ClientCertFile.Length > 0 && settings.ClientKeyFile.Length > 0)
            {
                options.ClientCertificate = new KedgeClientCertificateOptions { CertificateFile = settings.ClientCertFile, KeyFile = settings.ClientKeyFile };
            }

            foreach (var file in settings.RootCaFiles)
            {
                options.KedgeCaFiles.Add(file);
            }

            return KedgeClient.Create(options, loggerFactory, timeProvider, meterFactory);
        }

        var http = CreateClient(mappers.Http);
        var grpc = CreateClient(mappers.Grpc);
        var direct = OutgoingHandlerFactory.Create(connectTimeout: TimeSpan.FromSeconds(10));
        return new WinchKedgeClients(
            http,
            grpc,
            new HttpMessageInvoker(new KedgeHttpMessageHandler(http, direct)),
            new HttpMessageInvoker(new KedgeHttpMessageHandler(grpc, new NotKedgeDestinationHandler())));
    }

    public void Dispose()
    {
        HttpInvoker.Dispose();
        GrpcInvoker.Dispose();
        Http.Dispose();
        Grpc.Dispose();
    }

    /// <summary>Only reached if a target stops being a kedge destination between the check and the send.</summary>
    private sealed class NotKedgeDestinationHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromException<HttpResponseMessage>(new HttpRequestException($"{request.RequestUri?.Authority} is not a kedge destination"));
    }
}
