using Grpc.Net.Client;
using Grpc.Net.ClientFactory;
using Kedge.Client;
using Kedge.Client.Http;
using Microsoft.Extensions.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends an <see cref="HttpClient"/>'s (or a gRPC client's) kedge destinations through kedge.</summary>
public static class KedgeHttpClientBuilderExtensions
{
    /// <summary>
    /// Sends the client's kedge destinations through kedge, using the <see cref="KedgeClient"/> registered with
    /// <c>AddKedgeClient</c>. Works for <c>AddHttpClient(...)</c> and <c>AddGrpcClient&lt;T&gt;(...)</c> alike.
    /// </summary>
    /// <remarks>
    /// The <see cref="KedgeHttpMessageHandler"/> is placed directly above the client's primary handler, below every
    /// handler added with <c>AddHttpMessageHandler</c>, <c>AddStandardResilienceHandler</c> and the like, whether they are
    /// added before or after this call: they all see the caller's request (its original URI) and their retries reach
    /// kedge again. Targets that no route maps go on to the primary handler (<c>ConfigurePrimaryHttpMessageHandler</c>,
    /// which may also be called before or after this).
    /// </remarks>
    /// <param name="builder">The client builder.</param>
    public static IHttpClientBuilder AddKedge(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // For AddGrpcClient<T>(): GrpcChannel looks for a SocketsHttpHandler in the handler chain and, finding one, resolves
        // the channel address (the logical target name) through DNS itself before the kedge handler runs. Handing the chain
        // to the channel as an HttpClient keeps it from doing so. For plain HttpClients this option is never read.
        builder.Services.Configure<GrpcClientFactoryOptions>(builder.Name, options => options.ChannelOptionsActions.Add(HideHandlerChain));

        // As an additional handler, kedge would sit above every handler added after it and answer kedge destinations
        // without calling them: a resilience handler added after AddKedge() never saw a kedge call. Wrapping the primary
        // handler instead puts kedge under all of them, whatever the order. PostConfigure runs after every Configure, so
        // this action runs after the primary handler has been chosen (ConfigurePrimaryHttpMessageHandler included).
        builder.Services.PostConfigure<HttpClientFactoryOptions>(builder.Name, options => options.HttpMessageHandlerBuilderActions.Add(WrapPrimaryHandler));
        return builder;
    }

    private static void WrapPrimaryHandler(HttpMessageHandlerBuilder builder)
    {
        // AddKedge() called twice for one client (or for a named client and the defaults): one kedge handler is enough.
        if (builder.PrimaryHandler is not KedgeHttpMessageHandler)
        {
            builder.PrimaryHandler = new KedgeHttpMessageHandler(builder.Services.GetRequiredService<KedgeClient>(), builder.PrimaryHandler);
        }
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
