using Kedge.GoCompat;
using Kedge.Server.Configuration.Settings;

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

    /// <summary>pkg/k8s and pkg/resolvers/k8s (from <see cref="KedgeSettingCatalog.KubernetesClient"/>), then Go's flags that are accepted and not used.</summary>
    public static IReadOnlyList<GoFlag> Client =>
    [
        .. KedgeFlags.FlagsOf(KedgeSettingCatalog.KubernetesClient),
        GoFlag.Duration(AuthTimeout, TimeSpan.FromSeconds(10), "Accepted for compatibility with Go kedge; not used."),
        GoFlag.Duration(ResolverResyncTimeout, TimeSpan.FromMinutes(30), "Accepted for compatibility with Go kedge; not used (watches resume from their resource version instead)."),
    ];

    /// <summary>pkg/discovery (from <see cref="KedgeSettingCatalog.ServiceDiscovery"/>), then Go's flag that is accepted and not used.</summary>
    public static IReadOnlyList<GoFlag> Discovery =>
    [
        .. KedgeFlags.FlagsOf(KedgeSettingCatalog.ServiceDiscovery),
        GoFlag.Duration(DiscoveryResyncTimeout, TimeSpan.FromMinutes(15), "Accepted for compatibility with Go kedge; not used (watches resume from their resource version instead)."),
    ];

    public static IReadOnlyList<GoFlag> All => [.. Client, .. Discovery];
}
