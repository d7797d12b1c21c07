using Grpc.Net.Client;
using Grpc.Net.ClientFactory;
using Kedge.Client;
using Kedge.Client.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends an <see cref="HttpClient"/>'s (or a gRPC client's) kedge destinations through kedge.</summary>
public static class KedgeHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="KedgeHttpMessageHandler"/> to the client, using the <see cref="KedgeClient"/> registered with
    /// <c>AddKedgeClient</c>. Works for <c>AddHttpClient(...)</c> and <c>AddGrpcClient&lt;T&gt;(...)</c> alike. Handlers added
    /// after this one only see requests that are not kedge destinations: add retries and logging first.
    /// </summary>
    /// <param name="builder">The client builder.</param>
    public static IHttpClientBuilder AddKedge(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // For AddGrpcClient<T>(): GrpcChannel looks for a SocketsHttpHandler in the handler chain and, finding one, resolves
        // the channel address (the logical target name) through DNS itself before the kedge handler runs. Handing the chain
        // to the channel as an HttpClient keeps it from doing so. For plain HttpClients this option is never read.
        builder.Services.Configure<GrpcClientFactoryOptions>(builder.Name, options => options.ChannelOptionsActions.Add(HideHandlerChain));
        return builder.AddHttpMessageHandler(sp => new KedgeHttpMessageHandler(sp.GetRequiredService<KedgeClient>()));
    }

    private static void HideHandlerChain(GrpcChannelOptions options)
    {
        if (options.HttpHandler is { } handler && options.HttpClient is null)
        {
            // The factory owns the handler's lifetime: the HttpClient must not dispose it.
            options.HttpClient = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
            options.HttpHandler = null;
            options.DisposeHttpClient = true;
        }
    }
}
