using k8s.Autorest;

namespace Kedge.Server.Checks;

/// <summary>
/// Whether kedge may watch what it lists: a watch request is sent and only its answer's status is looked at (the API
/// server answers at once, 200 with a stream or 403); the stream is closed without reading it.
/// </summary>
internal static class KubernetesWatchAccess
{
    /// <summary>Throws the client's <see cref="HttpOperationException"/> when the watch is refused.</summary>
    public static async Task CheckAsync<T>(Func<CancellationToken, Task<HttpOperationResponse<T>>> watch, CancellationToken cancellationToken)
    {
        using var response = await watch(cancellationToken);
    }
}
