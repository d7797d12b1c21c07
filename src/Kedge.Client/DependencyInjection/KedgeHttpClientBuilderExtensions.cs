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
        return builder.AddHttpMessageHandler(sp => new KedgeHttpMessageHandler(sp.GetRequiredService<KedgeClient>()));
    }
}
