using k8s;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// The one KubernetesClient of this kedge, built on first use (a kedge with no Kubernetes backends and no discovery
/// never needs cluster access). A build failure is not cached, so a fixed kubeconfig works on the next reload.
/// </summary>
internal sealed class KubernetesConnection(KubernetesOptions options) : IDisposable
{
    private readonly Lock _lock = new();
    private IKubernetes? _client;

    public KubernetesOptions Options => options;

    /// <summary>The client; throws <see cref="KubernetesAccessException"/> when no cluster access is configured or found.</summary>
    public IKubernetes Client
    {
        get
        {
            lock (_lock)
            {
                return _client ??= KubernetesClientFactory.Create(options);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _client?.Dispose();
            _client = null;
        }
    }
}
