using Kedge.Server.Discovery;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Configuration.Settings;

/// <summary>
/// Every start-up setting of kedge, one record per native section: <c>Kedge:Server</c> (with <c>Kedge:Auth</c> on
/// <see cref="KedgeServerSettings.Auth"/>), <c>Kedge:Kubernetes</c> and <c>Kedge:Discovery</c>. A new instance holds the
/// defaults.
/// </summary>
internal sealed class KedgeSettings
{
    public KedgeServerSettings Server { get; init; } = new();

    public KubernetesOptions Kubernetes { get; init; } = new();

    public DiscoveryOptions Discovery { get; init; } = new();
}
