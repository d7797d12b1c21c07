using Grpc.Net.Client.Balancer;

namespace Kedge.Client.Failover;

/// <summary>
/// The service provider a balanced <see cref="Grpc.KedgeChannel"/> gives grpc-dotnet: the channel's
/// <see cref="KedgeResolverFactory"/> and <see cref="KedgePriorityBalancerFactory"/> (grpc-dotnet finds both through
/// <c>GrpcChannelOptions.ServiceProvider</c>), everything else from the application's provider, if any.
/// </summary>
internal sealed class KedgeBalancerServices(ResolverFactory resolverFactory, LoadBalancerFactory balancerFactory, IServiceProvider? inner) : IServiceProvider
{
    public object? GetService(Type serviceType)
    {
        if (serviceType == typeof(IEnumerable<ResolverFactory>))
        {
            return new[] { resolverFactory };
        }

        if (serviceType == typeof(IEnumerable<LoadBalancerFactory>))
        {
            return new[] { balancerFactory };
        }

        return inner?.GetService(serviceType);
    }
}
