using Kedge.GoCompat;

namespace Kedge.Server.Hosting.GoFlags;

/// <summary>Go kedge's Kubernetes client (pkg/k8s), resolver (pkg/resolvers/k8s) and discovery (pkg/discovery) flags.</summary>
internal static class KubernetesFlags
{
    public const string KubeApiUrl = "k8sclient_kubeapi_url";
    public const string TlsInsecure = "k8sclient_tls_insecure";
    public const string CaFile = "k8sclient_ca_file";
    public const string GoTokenFile = "k8client_token_file";
    public const string TokenFile = "k8sclient_token_file";
    public const string KubeconfigUser = "k8sclient_kubeconfig_user";
    public const string KubeconfigPath = "k8sclient_kubeconfig_path";
    public const string AuthTimeout = "k8sclient_auth_timeout";
    public const string ResolverResyncTimeout = "k8sresolver_resync_timouet";
    public const string ResolverFirstUpdateTimeout = "k8sresolver_first_update_timouet";

    public const string DynamicRoutingsEnabled = "kedge_dynamic_routings_enabled";
    public const string ExternalDomainSuffix = "discovery_external_domain_suffix";
    public const string LabelAnnotationPrefix = "discovery_label_annotation_prefix";
    public const string DiscoveryResyncTimeout = "discovery_resync_timouet";

    /// <summary>
    /// The CA and token defaults are "" rather than Go's service-account paths: "" means "the service-account file when
    /// it exists", so the same kedge runs in and out of a cluster.
    /// </summary>
    public static IReadOnlyList<GoFlag> Client { get; } =
    [
        GoFlag.String(KubeApiUrl, string.Empty, "Kubernetes API server URL. Default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT."),
        GoFlag.Bool(TlsInsecure, false, "Skip verifying the Kubernetes API server's certificate."),
        GoFlag.String(CaFile, string.Empty, "PEM CA of the Kubernetes API server. Default: the service-account ca.crt when it exists."),
        GoFlag.String(GoTokenFile, string.Empty, "Bearer token file for the Kubernetes API (Go kedge's spelling of " + TokenFile + ")."),
        GoFlag.String(TokenFile, string.Empty, "Bearer token file for the Kubernetes API, re-read on every call. Default: the service-account token when it exists."),
        GoFlag.String(KubeconfigUser, string.Empty, "Use this kubeconfig user's credentials instead of the service account."),
        GoFlag.String(KubeconfigPath, string.Empty, "Kubeconfig file to use instead of the service account (default ~/.kube/config when a kubeconfig user is given)."),
        GoFlag.Duration(AuthTimeout, TimeSpan.FromSeconds(10), "Accepted for compatibility with Go kedge; not used."),
        GoFlag.Duration(ResolverResyncTimeout, TimeSpan.FromMinutes(30), "Accepted for compatibility with Go kedge; not used (watches resume from their resource version instead)."),
        GoFlag.Duration(ResolverFirstUpdateTimeout, TimeSpan.FromSeconds(5), "How long a new Kubernetes backend waits for its first list before starting empty."),
    ];

    public static IReadOnlyList<GoFlag> Discovery { get; } =
    [
        GoFlag.Bool(DynamicRoutingsEnabled, false, "Route to Kubernetes Services labelled <prefix>kedge-exposed, in all namespaces."),
        GoFlag.String(ExternalDomainSuffix, string.Empty, "Suffix of generated hosts: <service>.<namespace>.svc.<suffix>. Required with " + DynamicRoutingsEnabled + "."),
        GoFlag.String(LabelAnnotationPrefix, "kedge.com/", "Prefix of the discovery label and annotations."),
        GoFlag.Duration(DiscoveryResyncTimeout, TimeSpan.FromMinutes(15), "Accepted for compatibility with Go kedge; not used (watches resume from their resource version instead)."),
    ];

    public static IReadOnlyList<GoFlag> All { get; } = [.. Client, .. Discovery];
}
