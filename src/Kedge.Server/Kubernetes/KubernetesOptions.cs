namespace Kedge.Server.Kubernetes;

/// <summary>
/// How kedge reaches the Kubernetes API (the Go <c>k8sclient_*</c> flags, natively <c>Kedge:Kubernetes</c>). With no
/// kubeconfig setting, kedge uses the in-cluster service account: <c>KUBERNETES_SERVICE_HOST/PORT</c>, the
/// service-account CA and its token (re-read on every API call, so a rotated projected token is picked up).
/// A client is only built when a backend uses the Kubernetes resolver or discovery is enabled.
/// </summary>
public sealed class KubernetesOptions
{
    /// <summary>The default service-account token path.</summary>
    public const string ServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>The default service-account CA path.</summary>
    public const string ServiceAccountCaFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

    /// <summary>API server URL. Default: <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c> (or the kubeconfig's server).</summary>
    public string? ApiUrl { get; set; }

    /// <summary>Skip verifying the API server's certificate. Default false.</summary>
    public bool TlsInsecure { get; set; }

    /// <summary>PEM CA the API server's certificate must chain to. Default: the service-account CA when it exists, else the system roots.</summary>
    public string? CaFile { get; set; }

    /// <summary>Bearer token file, re-read on every API call. Default: the service-account token when it exists.</summary>
    public string? TokenFile { get; set; }

    /// <summary>A kubeconfig file; setting it (or a user or context) uses the kubeconfig instead of the service account. Default <c>~/.kube/config</c>.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>Use this kubeconfig user's credentials (Go: <c>k8sclient_kubeconfig_user</c>).</summary>
    public string? KubeconfigUser { get; set; }

    /// <summary>Use this kubeconfig context. Default: the kubeconfig's current context.</summary>
    public string? KubeconfigContext { get; set; }

    /// <summary>How long applying a configuration waits for a new watch's first list before going on with no endpoints. Default 5 s.</summary>
    public TimeSpan InitialSyncTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between reconnect attempts (the backoff starts at 100 ms and doubles, with jitter). Default 10 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one watch request lasts before the server closes it and kedge resumes from the last version. Default 5 min.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether any kubeconfig setting is given.</summary>
    internal bool UsesKubeconfig => !string.IsNullOrEmpty(KubeconfigPath) || !string.IsNullOrEmpty(KubeconfigUser) || !string.IsNullOrEmpty(KubeconfigContext);
}
