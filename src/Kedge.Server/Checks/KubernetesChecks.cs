using k8s;
using Kedge.Common.Checks;
using Kedge.Server.Kubernetes;

namespace Kedge.Server.Checks;

/// <summary>
/// <c>kedge check</c>: cluster access with kedge's own credentials, and, with discovery on, the labelled Services it
/// would see (list and watch, as kedge's discovery does) and the duplicate names kedge's discovery would resolve by
/// dropping a Service. Nothing when kedge needs no cluster access (no Kubernetes backend, discovery off). With an invalid
/// configuration the Kubernetes backends are unknown; cluster access is then checked only when discovery is on. When the
/// start-up reading already found that no client can be built (<see cref="KedgeCheckContext.KubernetesAccessErrors"/>),
/// the configuration area reports it and this area adds nothing.
/// </summary>
internal static class KubernetesChecks
{
    public const string Area = "kubernetes";

    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var discovery = context.Settings.Discovery.Enabled;
        var backends = context.Routing is { } routing && routing.HttpBackends.Concat(routing.GrpcBackends).Any(b => b.K8s is not null);
        if ((!discovery && !backends) || context.KubernetesAccessErrors.Count > 0)
        {
            // No cluster access could be set up at all: the configuration area's "kubernetes client" line says why and
            // how to fix it; a second line here would only repeat it.
            return [];
        }

        List<CheckDefinition> checks = [CheckDefinition.Single(Area, "cluster access", ct => ClusterAccessAsync(context, ct))];
        if (discovery)
        {
            checks.Add(new CheckDefinition(Area, "discovery", ct => DiscoveryCheck.RunAsync(context, ct)));
        }

        return checks;
    }

    private static async Task<CheckResult> ClusterAccessAsync(KedgeCheckContext context, CancellationToken cancellationToken)
    {
        var options = context.Settings.Kubernetes;
        IKubernetes client;
        try
        {
            client = KubernetesClientFactory.Create(options);
        }
        catch (KubernetesAccessException ex)
        {
            var (found, fix) = KubernetesApiErrors.Split(ex.Message);
            return CheckResult.Fail(Area, "cluster access", found, fix);
        }

        using (client)
        {
            try
            {
                var version = await client.Version.GetCodeAsync(cancellationToken);
                return CheckResult.Pass(Area, "cluster access", $"the API server {client.BaseUri} answers (Kubernetes {version.GitVersion}) with {KubernetesApiErrors.IdentityFrom(options)} ({KubernetesClientFactory.Describe(options)})");
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
            {
                var (found, fix) = KubernetesApiErrors.Describe(ex, "get", "/version", null, options);
                return CheckResult.Fail(Area, "cluster access", found, fix);
            }
        }
    }
}
