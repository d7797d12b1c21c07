using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Discovery;
using Kedge.Server.Hosting.GoFlags;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Hosting;

/// <summary>
/// Kubernetes access and discovery settings: the native <c>Kedge:Kubernetes</c> and <c>Kedge:Discovery</c> sections
/// when present, else the flag defaults; flags given on the command line win over both (the <c>Kedge:Server</c> rule).
/// </summary>
internal static class KubernetesSettingsReader
{
    public static (KubernetesOptions Kubernetes, DiscoveryOptions Discovery) Read(GoFlagParseResult parsed, KedgeConfigSource? source, List<string> errors)
    {
        var nativeKubernetes = source?.ReadSection<KubernetesOptions>("Kubernetes", errors);
        var nativeDiscovery = source?.ReadSection<DiscoveryOptions>("Discovery", errors);
        var kubernetes = nativeKubernetes ?? new KubernetesOptions();
        var discovery = nativeDiscovery ?? new DiscoveryOptions();

        string? Text(string flag) => parsed.GetString(flag) is { Length: > 0 } value ? value : null;
        void Use(object? native, string flag, Action apply)
        {
            if (parsed.IsSet(flag) || (native is null && Text(flag) is not null))
            {
                apply();
            }
        }

        Use(nativeKubernetes, KubernetesFlags.KubeApiUrl, () => kubernetes.ApiUrl = Text(KubernetesFlags.KubeApiUrl));
        if (parsed.IsSet(KubernetesFlags.TlsInsecure) || nativeKubernetes is null)
        {
            kubernetes.TlsInsecure = parsed.GetBool(KubernetesFlags.TlsInsecure);
        }

        Use(nativeKubernetes, KubernetesFlags.CaFile, () => kubernetes.CaFile = Text(KubernetesFlags.CaFile));
        Use(nativeKubernetes, KubernetesFlags.GoTokenFile, () => kubernetes.TokenFile = Text(KubernetesFlags.GoTokenFile));
        Use(nativeKubernetes, KubernetesFlags.TokenFile, () => kubernetes.TokenFile = Text(KubernetesFlags.TokenFile));
        Use(nativeKubernetes, KubernetesFlags.KubeconfigUser, () => kubernetes.KubeconfigUser = Text(KubernetesFlags.KubeconfigUser));
        Use(nativeKubernetes, KubernetesFlags.KubeconfigPath, () => kubernetes.KubeconfigPath = Text(KubernetesFlags.KubeconfigPath));
        if (parsed.IsSet(KubernetesFlags.ResolverFirstUpdateTimeout))
        {
            kubernetes.InitialSyncTimeout = parsed.GetDuration(KubernetesFlags.ResolverFirstUpdateTimeout);
        }

        if (parsed.IsSet(KubernetesFlags.DynamicRoutingsEnabled) || nativeDiscovery is null)
        {
            // A flag given on the command line wins either way (=false switches a native Enabled: true off).
            discovery.Enabled = parsed.GetBool(KubernetesFlags.DynamicRoutingsEnabled);
        }

        Use(nativeDiscovery, KubernetesFlags.ExternalDomainSuffix, () => discovery.ExternalDomainSuffix = Text(KubernetesFlags.ExternalDomainSuffix));
        if (parsed.IsSet(KubernetesFlags.LabelAnnotationPrefix) || nativeDiscovery is null)
        {
            discovery.LabelAnnotationPrefix = parsed.GetString(KubernetesFlags.LabelAnnotationPrefix);
        }

        if (discovery.Enabled && string.IsNullOrWhiteSpace(discovery.ExternalDomainSuffix))
        {
            // Go kedge's message, then how to fix it.
            errors.Add($"required flag '{KubernetesFlags.ExternalDomainSuffix}' is not specified. Discovery is enabled: give --{KubernetesFlags.ExternalDomainSuffix} (Kedge:Discovery:ExternalDomainSuffix), for example 'cluster-a.kedge'.");
        }

        if (discovery.DebounceDelay <= TimeSpan.Zero || discovery.MaxDebounceDelay < discovery.DebounceDelay)
        {
            errors.Add("Kedge:Discovery: DebounceDelay must be positive and no longer than MaxDebounceDelay, for example 00:00:00.1 and 00:00:01.");
        }

        return (kubernetes, discovery);
    }

    /// <summary>With discovery on, or a Kubernetes backend configured, cluster access must be set up; the error says how.</summary>
    public static void CheckAccess(KubernetesOptions kubernetes, DiscoveryOptions discovery, KedgeServerOptions? routing, List<string> errors)
    {
        var needs = discovery.Enabled || (routing is not null && routing.HttpBackends.Concat(routing.GrpcBackends).Any(b => b.K8s is not null));
        if (!needs)
        {
            return;
        }

        try
        {
            KubernetesClientFactory.Create(kubernetes).Dispose();
        }
        catch (KubernetesAccessException ex)
        {
            errors.Add(ex.Message);
        }
    }
}
