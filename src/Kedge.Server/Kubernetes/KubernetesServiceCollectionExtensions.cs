using Kedge.Server.Discovery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Kedge.Server.Kubernetes;

/// <summary>Registers Kubernetes access, the shared EndpointSlice watches and Service discovery.</summary>
internal static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// Defaults for <see cref="KubernetesOptions"/> and <see cref="DiscoveryOptions"/> are registered only when none are;
    /// a host registers its own instances to override them. Nothing contacts the API unless a backend or discovery needs it.
    /// </summary>
    public static IServiceCollection AddKedgeKubernetes(this IServiceCollection services)
    {
        services.TryAddSingleton(new KubernetesOptions());
        services.TryAddSingleton(new DiscoveryOptions());
        services.TryAddSingleton<KubernetesConnection>();
        services.TryAddSingleton<KubernetesMetrics>();
        services.TryAddSingleton<EndpointSliceWatchPool>();
        services.TryAddSingleton<ServiceDiscovery>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ServiceDiscovery>());
        return services;
    }
}
