using k8s;

namespace Kedge.Server.Kubernetes;

/// <summary>Receives what a <see cref="KubernetesWatch{T, TList}"/> sees. Called from one task at a time.</summary>
internal interface IKubernetesWatchHandler<T>
{
    /// <summary>A full list replaces everything known so far.</summary>
    void Reset(IList<T> items);

    /// <summary>One added, modified or deleted object.</summary>
    void Apply(WatchEventType type, T item);
}
