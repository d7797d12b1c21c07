using Kedge.Common.Checks;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Hosting.GoFlags;

namespace Kedge.Server.Checks;

/// <summary>
/// <c>kedge check</c>: the configuration itself: the settings and routing read as at start, every error listed with its
/// source path, and settings that are valid but leave kedge open or idle.
/// </summary>
internal static class ConfigurationChecks
{
    private const string Area = "configuration";

    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lines = new List<CheckResult>();
        var routingErrors = context.RoutingErrors.ToHashSet(StringComparer.Ordinal);
        var kubernetesErrors = context.KubernetesAccessErrors.ToHashSet(StringComparer.Ordinal);
        var settingsErrors = context.ConfigurationErrors.Distinct(StringComparer.Ordinal).Where(e => !routingErrors.Contains(e) && !kubernetesErrors.Contains(e)).ToList();

        foreach (var error in settingsErrors)
        {
            lines.Add(CheckResult.Fail(Area, "settings", error,
                "change the setting the line names (a flag, a $Kedge__… environment variable or a key of the native file) as it says; 'kedge --help' lists them all"));
        }

        if (settingsErrors.Count == 0)
        {
            lines.Add(CheckResult.Pass(Area, "settings", SettingsSummary(context.Report)));
        }

        foreach (var error in context.RoutingErrors.Distinct(StringComparer.Ordinal))
        {
            lines.Add(CheckResult.Fail(Area, "routing", error,
                "correct the file (or variable) and path the line names as it says; until then kedge does not start, and a running kedge rejects the change and keeps its last good routing"));
        }

        if (context.Routing is { } routing)
        {
            var adhoc = routing.HttpAdhocRules.Count + routing.GrpcAdhocRules.Count;
            lines.Add(CheckResult.Pass(Area, "routing",
                $"routing valid: {routing.HttpRoutes.Count} HTTP routes, {routing.GrpcRoutes.Count} gRPC routes, {routing.HttpBackends.Count + routing.GrpcBackends.Count} backends"
                + (adhoc > 0 ? $", {adhoc} adhoc rules" : string.Empty) + $" from {context.RoutingSource}"));
        }

        foreach (var error in context.KubernetesAccessErrors.Distinct(StringComparer.Ordinal))
        {
            lines.Add(CheckResult.Fail(Area, "kubernetes client", error,
                "give kedge cluster access as the line says (in a pod: its service account; elsewhere: --k8sclient_* flags or a kubeconfig), or turn off what needs it"));
        }

        lines.AddRange(Risks(context));
        return lines.Select(CheckDefinition.Known);
    }

    /// <summary>Valid settings an operator should know about: kedge proxies nothing, or lets in anyone who reaches its port.</summary>
    private static IEnumerable<CheckResult> Risks(KedgeCheckContext context)
    {
        var server = context.Settings.Server;
        var tls = server.HttpTlsPort != 0 || server.GrpcTlsPort != 0;
        if (!tls && server.HttpPort != 0)
        {
            yield return CheckResult.Warn(Area, "proxy listener",
                $"--{KedgeFlags.ServerHttpTlsPort} and --{KedgeFlags.ServerGrpcTlsPort} are 0: kedge opens only its plain-HTTP admin port ({server.HttpPort}) and proxies no request",
                $"enable the TLS proxy port, for example --{KedgeFlags.ServerHttpTlsPort}=8443 with --{KedgeFlags.ServerTlsCertFile} and --{KedgeFlags.ServerTlsKeyFile}");
        }

        if (!tls || server.TlsClientCaFiles.Count > 0 || server.Auth.UsesOidc || server.Auth.UsesStaticToken || context.Routing is not { } routing)
        {
            yield break;
        }

        // No client certificate is asked for and no proxy auth is set: every route and adhoc rule without an
        // Authorization of its own is open to whoever can reach the TLS port.
        var open = routing.HttpRoutes.Count(r => r.Authorization is null) + routing.GrpcRoutes.Count(r => r.Authorization is null)
            + routing.HttpAdhocRules.Count(r => r.Authorization is null) + routing.GrpcAdhocRules.Count(r => r.Authorization is null);
        var total = routing.HttpRoutes.Count + routing.GrpcRoutes.Count + routing.HttpAdhocRules.Count + routing.GrpcAdhocRules.Count;
        if (open > 0)
        {
            yield return CheckResult.Warn(Area, "caller authentication",
                $"no client CA (--{KedgeFlags.ServerTlsClientCaFiles}) and no proxy auth (Kedge:Auth: OIDC or a static token): {open} of {total} routes and adhoc rules have no Authorization of their own, so anyone who reaches the TLS port may use them",
                $"require client certificates with --{KedgeFlags.ServerTlsClientCaFiles}=<ca.crt>, or set Kedge:Auth (--server_oidc_provider_url …), or give those routes an Authorization; leave it only if the network alone decides who reaches kedge");
        }
    }

    /// <summary>How many settings came from where: what a check reads should be what the operator meant to give.</summary>
    private static string SettingsSummary(KedgeSettingsReport report)
    {
        var counts = KedgeSettingCatalog.All.GroupBy(report.SourceOf).ToDictionary(g => g.Key, g => g.Count());
        int Count(KedgeSettingSource source) => counts.TryGetValue(source, out var n) ? n : 0;
        var file = report.NativeFile is { } path ? $", {Count(KedgeSettingSource.NativeFile)} from {path}" : string.Empty;
        return $"settings valid: {Count(KedgeSettingSource.CommandLine)} from the command line, {Count(KedgeSettingSource.Environment)} from the environment{file}, the other {Count(KedgeSettingSource.Default) + Count(KedgeSettingSource.Host)} default";
    }
}
