using System.Globalization;
using k8s;
using k8s.Models;
using Kedge.Common.Checks;
using Kedge.Server.Discovery;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Checks;

/// <summary>
/// Discovery as kedge's <see cref="ServiceDiscovery"/> sees it: the Services labelled <c>&lt;prefix&gt;kedge-exposed</c>
/// in all namespaces (list, then watch), turned into routes and backends by kedge's own
/// <see cref="DiscoveryConfigBuilder"/>, whose conflicts (two Services generating the same backend name or claiming the
/// same host and port) and skipped ports become lines.
/// </summary>
internal static class DiscoveryCheck
{
    private const string Name = "discovery";

    public static async Task<IReadOnlyList<CheckResult>> RunAsync(KedgeCheckContext context, CancellationToken cancellationToken)
    {
        var options = context.Settings.Discovery;
        var kubernetes = context.Settings.Kubernetes;
        var selector = options.LabelAnnotationPrefix + DiscoveryConfigBuilder.ExposedLabel;
        IKubernetes client;
        try
        {
            client = KubernetesClientFactory.Create(kubernetes);
        }
        catch (KubernetesAccessException ex)
        {
            var (found, fix) = KubernetesApiErrors.Split(ex.Message);
            return [CheckResult.Fail(KubernetesChecks.Area, Name, found, fix)];
        }

        using (client)
        {
            V1ServiceList list;
            try
            {
                list = await client.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: selector, cancellationToken: cancellationToken);
                if (await KubernetesWatchAccess.DeniedAsync(client, string.Empty, "services", null, cancellationToken) is { } reason)
                {
                    var (found, fix) = KubernetesApiErrors.Forbidden(KubernetesApiErrors.IdentityFrom(kubernetes), "watch", "services", null, reason);
                    return [CheckResult.Fail(KubernetesChecks.Area, Name, $"labelled Services ({selector}): {found}", fix)];
                }
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                var (found, fix) = KubernetesApiErrors.Describe(ex, "list", "services", null, kubernetes);
                return [CheckResult.Fail(KubernetesChecks.Area, Name, $"labelled Services ({selector}): {found}", fix)];
            }

            var services = (list.Items ?? []).Where(s => Discovery.ServiceDiscovery.Exposes(s, selector)).ToList();
            if (services.Count == 0)
            {
                return [CheckResult.Warn(KubernetesChecks.Area, Name, $"no Service labelled {selector} in any namespace: discovery generates no routes",
                    $"label the Services to expose: kubectl label service <name> -n <namespace> {selector}=true (or fix Kedge:Discovery:LabelAnnotationPrefix)")];
            }

            if (string.IsNullOrEmpty(options.ExternalDomainSuffix))
            {
                // The configuration area reports the missing suffix; the routes cannot be generated without it.
                return [CheckResult.Pass(KubernetesChecks.Area, Name, Count(services, routes: null))];
            }

            var findings = new DiscoveryFindings();
            var routing = DiscoveryConfigBuilder.Build(services, options, findings);
            if (context.Routing is { } configured)
            {
                // kedge merges the generated part after the static one: a generated name the static configuration holds is dropped.
                _ = routing.MergeInto(configured, findings, out _);
            }

            var lines = new List<CheckResult> { CheckResult.Pass(KubernetesChecks.Area, Name, Count(services, routing)) };
            foreach (var (loser, claim, winner) in findings.Conflicts)
            {
                var what = claim.StartsWith("the generated backend name ", StringComparison.Ordinal) ? "the backend name " + claim["the generated backend name ".Length..]
                    : claim.StartsWith("the ", StringComparison.Ordinal) ? claim : "the " + claim;
                lines.Add(winner == DiscoveredRouting.StaticConfiguration
                    ? CheckResult.Fail(KubernetesChecks.Area, $"discovery {loser}",
                        $"Service {loser} generates {what}, which the static configuration ({context.RoutingSource}) already has; kedge gives {loser} no route for it",
                        $"rename the Service {loser} (or its port), or the route or backend in {context.RoutingSource}")
                    : CheckResult.Fail(KubernetesChecks.Area, $"discovery {loser}",
                        $"Services {winner} and {loser} both generate {what}; kedge keeps {winner} (the older) and {loser} gets no route for it",
                        $"rename one of the two Services (or its port), or give {loser} its own host with the annotation {options.LabelAnnotationPrefix}{DiscoveryConfigBuilder.HostMatcherAnnotation}"));
            }

            foreach (var skipped in findings.SkippedPorts)
            {
                lines.Add(CheckResult.Warn(KubernetesChecks.Area, $"discovery {skipped.Service}", $"port {skipped.Port}: {skipped.Reason}",
                    $"fix the Service {skipped.Service} (its name, port names or {options.LabelAnnotationPrefix} annotations) so the port can be exposed"));
            }

            return lines;
        }
    }

    private static string Count(List<V1Service> services, DiscoveredRouting? routes)
    {
        var namespaces = services.Select(s => s.Metadata.NamespaceProperty ?? "default").Distinct(StringComparer.Ordinal).Count();
        var text = string.Create(CultureInfo.InvariantCulture, $"{services.Count} labelled Service{(services.Count == 1 ? string.Empty : "s")} in {namespaces} namespace{(namespaces == 1 ? string.Empty : "s")}");
        return routes is null ? text : text + string.Create(CultureInfo.InvariantCulture, $": {routes.HttpRoutes.Count} HTTP and {routes.GrpcRoutes.Count} gRPC routes");
    }
}
