using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Discovery;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Hosting;

/// <summary>
/// The start-up check of Kubernetes access (the settings themselves are read with every other setting by
/// <see cref="KedgeSettingsReader"/>).
/// </summary>
internal static class KubernetesAccessCheck
{
    /// <summary>With discovery on, or a Kubernetes backend configured, cluster access must be set up; the error says how.</summary>
    public static void Run(KubernetesOptions kubernetes, DiscoveryOptions discovery, KedgeServerOptions? routing, List<string> errors)
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
