using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;

namespace Kedge.Client.Failover;

/// <summary>
/// The <c>kedge</c> scheme of a balanced <see cref="Grpc.KedgeChannel"/>: resolves to the route's kedges in priority
/// order, each address carrying its <see cref="KedgeEndpoint"/>, with the <see cref="KedgePriorityBalancerFactory"/>
/// policy. One factory per channel: the route is fixed when the channel is made.
/// </summary>
internal sealed class KedgeResolverFactory(KedgeEndpoint[] kedges) : ResolverFactory
{
    public const string Scheme = "kedge";

    public static readonly BalancerAttributesKey<KedgeEndpoint> EndpointKey = new("Kedge.Endpoint");

    public override string Name => Scheme;

    public override Resolver Create(ResolverOptions options) => new KedgeResolver(kedges);

    private sealed class KedgeResolver(KedgeEndpoint[] kedges) : Resolver
    {
        public override void Start(Action<ResolverResult> listener)
        {
            var addresses = new BalancerAddress[kedges.Length];
            for (var i = 0; i < kedges.Length; i++)
            {
                // Uri keeps an IPv6 literal's brackets; a socket address has none.
                addresses[i] = new BalancerAddress(kedges[i].Url.IdnHost.Trim('[', ']'), kedges[i].Url.Port);
                addresses[i].Attributes.Set(EndpointKey, kedges[i]);
            }

            var serviceConfig = new ServiceConfig { LoadBalancingConfigs = { new LoadBalancingConfig(KedgePriorityBalancerFactory.PolicyName) } };
            listener(ResolverResult.ForResult(addresses, serviceConfig, serviceConfigStatus: null));
        }
    }
}
