using System.Globalization;
using k8s;
using k8s.Models;
using Kedge.Common.Checks;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Checks;

/// <summary>
/// Resolves a Kubernetes backend the way kedge does: with kedge's own credentials
/// (<see cref="KubernetesClientFactory"/>), the EndpointSlice list kedge's watch starts with (the namespace, labelled
/// <c>kubernetes.io/service-name</c>), whether it may also watch them (kedge needs both verbs), and kedge's own reading of the slices
/// (<see cref="EndpointSliceResolver.Resolve"/>: ready, non-terminating endpoints on the target's port).
/// </summary>
internal static class KubernetesBackendResolution
{
    public const string EndpointSlices = "endpointslices.discovery.k8s.io";

    public static async Task<(IReadOnlyList<BackendEndpoint>? Endpoints, CheckResult Line)> ResolveAsync(BackendCheck backend, BackendOptions options, KedgeCheckContext context, CancellationToken cancellationToken)
    {
        var target = K8sTarget.Parse(options.K8s!.DnsPortName);
        var kubernetes = context.Settings.Kubernetes;
        CheckResult Fail(string found, string fix) => CheckResult.Fail(BackendChecks.Area, backend.LineName, $"{backend.Resolver}: {found}", fix);

        IKubernetes client;
        try
        {
            client = KubernetesClientFactory.Create(kubernetes);
        }
        catch (KubernetesAccessException ex)
        {
            var (found, fix) = KubernetesApiErrors.Split(ex.Message);
            return (null, Fail(found, fix));
        }

        using (client)
        {
            using var timeout = new CancellationTokenSource(context.Timeout, context.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(target.Namespace, labelSelector: EndpointSliceNamespaceWatch.ServiceNameLabel, cancellationToken: linked.Token);
                if (await KubernetesWatchAccess.DeniedAsync(client, "discovery.k8s.io", "endpointslices", target.Namespace, linked.Token) is { } reason)
                {
                    var (found, fix) = KubernetesApiErrors.Forbidden(KubernetesApiErrors.IdentityFrom(kubernetes), "watch", EndpointSlices, target.Namespace, reason);
                    return (null, Fail(found, fix));
                }

                var slices = (list.Items ?? []).Where(s => s.Metadata?.Labels is { } labels && labels.TryGetValue(EndpointSliceNamespaceWatch.ServiceNameLabel, out var service) && service == target.Service).ToList();
                var kubectl = $"kubectl get endpointslices -n {target.Namespace} -l {EndpointSliceNamespaceWatch.ServiceNameLabel}={target.Service}";
                if (slices.Count == 0)
                {
                    return ([], Fail($"Service {target.Namespace}/{target.Service} has no EndpointSlices: it does not exist, or it has no selector",
                        $"create the Service '{target.Service}' in namespace '{target.Namespace}' (or fix K8s.DnsPortName of {backend.Where}); see {kubectl}"));
                }

                var endpoints = EndpointSliceResolver.Resolve(slices, target, out var problem);
                if (problem is not null)
                {
                    return ([], Fail($"Service {target.Namespace}/{target.Service}: {problem}", $"name a port the Service has in K8s.DnsPortName of {backend.Where} ('{target.Service}.{target.Namespace}:<port name or number>')"));
                }

                if (endpoints.Length == 0)
                {
                    var all = slices.Sum(s => s.Endpoints?.Count ?? 0);
                    return ([], Fail(string.Create(CultureInfo.InvariantCulture, $"Service {target.Namespace}/{target.Service} has no ready endpoints ({all} endpoint{(all == 1 ? string.Empty : "s")} in {slices.Count} EndpointSlice{(slices.Count == 1 ? string.Empty : "s")}, none ready)"),
                        $"check the Service's pods are running and ready: kubectl get pods -n {target.Namespace}, {kubectl}"));
                }

                var shown = string.Join(", ", endpoints.Take(5).Select(e => e.Authority)) + (endpoints.Length > 5 ? ", …" : string.Empty);
                return (endpoints, CheckResult.Pass(BackendChecks.Area, backend.LineName, string.Create(CultureInfo.InvariantCulture,
                    $"{backend.Resolver}: {endpoints.Length} ready address{(endpoints.Length == 1 ? string.Empty : "es")} ({shown}) in {slices.Count} EndpointSlice{(slices.Count == 1 ? string.Empty : "s")}")));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, Fail($"the API server {kubernetes.ApiUrl ?? KubernetesClientFactory.Describe(kubernetes)} gave no answer to list {EndpointSlices} within {BackendCheck.Format(context.Timeout)}",
                    "check the API server is reachable from here and healthy, or give the checks more time with --timeout"));
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                var (found, fix) = KubernetesApiErrors.Describe(ex, "list", EndpointSlices, target.Namespace, kubernetes);
                return (null, Fail(found, fix));
            }
        }
    }
}
