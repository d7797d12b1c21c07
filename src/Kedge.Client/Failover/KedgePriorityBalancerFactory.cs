using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace Kedge.Client.Failover;

/// <summary>
/// The <c>kedge_priority</c> policy: grpc-dotnet's <see cref="SubchannelsLoadBalancer"/> keeps a subchannel (a
/// connection) to every kedge of the route, reconnecting with its backoff; the picker sends each call to the first
/// kedge in priority order whose subchannel is ready and which <see cref="KedgeEjections"/> has not ejected (TLS
/// failures, broken calls and "no healthy endpoint" answers are only seen by the call, so they go through the
/// ejections). While a better kedge is making its first connection, calls wait for its outcome rather than start on a
/// worse one. When every ready kedge is ejected the first ready one is used: a call is never refused while a kedge is
/// connected.
/// </summary>
internal sealed class KedgePriorityBalancerFactory(KedgeEjections ejections, string targetAuthority) : LoadBalancerFactory
{
    public const string PolicyName = "kedge_priority";

    public override string Name => PolicyName;

    public override LoadBalancer Create(LoadBalancerOptions options)
    {
        var tracker = new StateTracker(options.Controller);
        return new Balancer(tracker, options.LoggerFactory, ejections, targetAuthority);
    }

    /// <summary>
    /// The controller the balancer is given, wrapped to watch every subchannel's state: the base class hands the picker
    /// only the ready ones, and priority needs to know whether a better kedge is still connecting for the first time.
    /// </summary>
    private sealed class StateTracker(IChannelControlHelper inner) : IChannelControlHelper
    {
        private readonly ConcurrentDictionary<Subchannel, Observed> _observed = new();

        public Subchannel CreateSubchannel(SubchannelOptions options)
        {
            var subchannel = inner.CreateSubchannel(options);
            _observed[subchannel] = new Observed(ConnectivityState.Idle, HadOutcome: false);

            // Registered before the base class's own handler, so the state is known when it builds the next picker.
            subchannel.OnStateChanged(state => _observed.AddOrUpdate(
                subchannel,
                _ => new Observed(state.State, IsOutcome(state.State)),
                (_, previous) => new Observed(state.State, previous.HadOutcome || IsOutcome(state.State))));
            return subchannel;
        }

        public void UpdateState(BalancerState state) => inner.UpdateState(state);

        public void RefreshResolver() => inner.RefreshResolver();

        /// <summary>Whether <paramref name="subchannel"/> is connecting (or idle) and has never been ready nor failed.</summary>
        public bool IsFirstConnecting(Subchannel subchannel)
            => _observed.TryGetValue(subchannel, out var observed)
                && !observed.HadOutcome
                && observed.State is ConnectivityState.Idle or ConnectivityState.Connecting;

        public IEnumerable<Subchannel> Subchannels => _observed.Keys;

        public void Forget(Subchannel subchannel) => _observed.TryRemove(subchannel, out _);

        private static bool IsOutcome(ConnectivityState state) => state is ConnectivityState.Ready or ConnectivityState.TransientFailure;

        private readonly record struct Observed(ConnectivityState State, bool HadOutcome);
    }

    private sealed class Balancer(StateTracker tracker, ILoggerFactory loggerFactory, KedgeEjections ejections, string targetAuthority)
        : SubchannelsLoadBalancer(tracker, loggerFactory)
    {
        protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
        {
            var candidates = new List<Candidate>();
            foreach (var subchannel in tracker.Subchannels)
            {
                if (subchannel.GetAddresses() is not [var address, ..] || !address.Attributes.TryGetValue(KedgeResolverFactory.EndpointKey, out var kedge))
                {
                    continue;
                }

                var ready = readySubchannels.Contains(subchannel);
                if (ready || tracker.IsFirstConnecting(subchannel))
                {
                    candidates.Add(new Candidate(subchannel, kedge, ready));
                }
            }

            candidates.Sort((a, b) => a.Kedge.Priority.CompareTo(b.Kedge.Priority));
            return new Picker([.. candidates], ejections, targetAuthority);
        }

        protected override void Dispose(bool disposing)
        {
            foreach (var subchannel in tracker.Subchannels.ToArray())
            {
                tracker.Forget(subchannel);
            }

            base.Dispose(disposing);
        }
    }

    private readonly record struct Candidate(Subchannel Subchannel, KedgeEndpoint Kedge, bool Ready);

    private sealed class Picker(Candidate[] candidates, KedgeEjections ejections, string targetAuthority) : SubchannelPicker
    {
        public override PickResult Pick(PickContext context)
        {
            Subchannel? firstReady = null;
            foreach (var candidate in candidates)
            {
                if (!candidate.Ready)
                {
                    // A better kedge is making its first connection: wait for it (a new picker comes with its outcome).
                    if (firstReady is null)
                    {
                        return PickResult.ForQueue();
                    }

                    continue;
                }

                if (!ejections.IsEjected(candidate.Kedge.Authority) && !ejections.IsEjected(KedgeEjections.TargetKey(candidate.Kedge, targetAuthority)))
                {
                    return PickResult.ForSubchannel(candidate.Subchannel);
                }

                firstReady ??= candidate.Subchannel;
            }

            return firstReady is not null
                ? PickResult.ForSubchannel(firstReady)
                : PickResult.ForFailure(new Status(StatusCode.Unavailable, "No kedge of the route is connected."));
        }
    }
}
