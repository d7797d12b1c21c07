using Kedge.Common.Checks;
using Kedge.Server.Checks;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;
using Kedge.Testing;

namespace Kedge.Server.Tests.Checks;

/// <summary>A <see cref="KedgeCheckContext"/> as <c>kedge check</c> builds one, for settings and routing made in a test.</summary>
internal static class CheckContexts
{
    public static KedgeCheckContext For(KedgeServerOptions? routing, Action<KedgeSettings>? configure = null, TimeSpan? timeout = null, string? probePath = null)
    {
        var settings = new KedgeSettings();
        configure?.Invoke(settings);
        var report = new KedgeSettingsReport(settings, new(), nativeFile: null);
        return new KedgeCheckContext(report, routing, "kedge.json", routing is null ? ["kedge.json: Kedge:HttpBackends[0]:Name: required"] : [], TimeProvider.System, timeout ?? TimeSpan.FromSeconds(2), [], probePath);
    }

    /// <summary>Runs the backend area (and, when asked, the Kubernetes area) as <c>kedge check</c> runs its areas.</summary>
    public static Task<CheckReport> RunBackendsAsync(KedgeCheckContext context)
        => CheckRunner.RunAsync(BackendChecks.For(context), context.Timeout, context.TimeProvider);

    public static Task<CheckReport> RunKubernetesAsync(KedgeCheckContext context)
        => CheckRunner.RunAsync(KubernetesChecks.For(context), context.Timeout, context.TimeProvider);

    public static CheckResult Line(this CheckReport report, string name)
        => CheckLines.Single(report.Results, r => r.Name == name, $"'{name}'", report.ToTable());
}
