using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace Kedge.Client.Failover;

/// <summary>
/// The <c>kedge_priority</c> policy: grpc-dotnet's <see cref="SubchannelsLoadBalancer"/> keeps a subchannel (a
/// connection) to every kedge of the route, reconnecting with its backoff; the picker sends each call to the first
/// kedge in priority order whose subchannel is ready and which <see cref="KedgeEjections"/> has not ejected (TLS
/// failures, broken calls and "no healthy endpoint" answers are only seen by the call, so they go through the
/// ejections). When every ready kedge is ejected the first ready one is used: a call is never refused while a kedge is
/// connected.
/// </summary>
internal sealed class KedgePriorityBalancerFactory(KedgeEjections ejections, string targetAuthority) : LoadBalancerFactory
{
    public const string PolicyName = "kedge_priority";

    public override string Name => PolicyName;

    public override LoadBalancer Create(LoadBalancerOptions options) => new Balancer(options.Controller, options.LoggerFactory, ejections, targetAuthority);

    private sealed class Balancer(IChannelControlHelper controller, ILoggerFactory loggerFactory, KedgeEjections ejections, string targetAuthority)
        : SubchannelsLoadBalancer(controller, loggerFactory)
    {
        protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
        {
            var ready = new List<(Subchannel Subchannel, KedgeEndpoint Kedge)>(readySubchannels.Count);
            foreach (var subchannel in readySubchannels)
            {
                if (subchannel.CurrentAddress is { } address && address.Attributes.TryGetValue(KedgeResolverFactory.EndpointKey, out var kedge))
                {
                    ready.Add((subchannel, kedge));
                }
            }

            ready.Sort((a, b) => a.Kedge.Priority.CompareTo(b.Kedge.Priority));
            return new Picker([.. ready], ejections, targetAuthority);
        }
    }

    private sealed class Picker((Subchannel Subchannel, KedgeEndpoint Kedge)[] ready, KedgeEjections ejections, string targetAuthority) : SubchannelPicker
    {
        public override PickResult Pick(PickContext context)
        {
            if (ready.Length == 0)
            {
                return PickResult.ForFailure(new Status(StatusCode.Unavailable, "No kedge of the route is connected."));
            }

            foreach (var (subchannel, kedge) in ready)
            {
                if (!ejections.IsEjected(kedge.Authority) && !ejections.IsEjected(KedgeEjections.TargetKey(kedge, targetAuthority)))
                {
                    return PickResult.ForSubchannel(subchannel);
                }
            }

            return PickResult.ForSubchannel(ready[0].Subchannel);
        }
    }
}
