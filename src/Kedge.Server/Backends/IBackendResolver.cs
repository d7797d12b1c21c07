namespace Kedge.Server.Backends;

/// <summary>Resolves a backend's endpoints and reports changes.</summary>
internal interface IBackendResolver : IAsyncDisposable
{
    /// <summary>Starts resolving; <paramref name="onChange"/> receives every new set of endpoints (never concurrently).</summary>
    Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken);
}
