using Kedge.Common.Checks;

namespace Kedge.Server.Checks;

/// <summary>
/// <c>kedge check</c>: every backend resolves (DNS A/AAAA, SRV, static, Kubernetes EndpointSlices) with the resolvers
/// kedge itself uses, and every endpoint answers (TCP connect; for TLS backends a handshake with the backend's own TLS
/// settings and the name check; with <c>--probe_path</c>, a GET of that path on HTTP backends). One check per backend,
/// all in parallel; inside one, its endpoints are probed in parallel too, each under <c>--timeout</c>, with at most
/// <see cref="MaxConcurrentProbes"/> probes open at once across the run.
/// </summary>
internal static class BackendChecks
{
    public const string Area = "backends";

    /// <summary>Open probes (sockets) across all backends at once: enough for hundreds of endpoints within one timeout, few enough for a small file-descriptor limit.</summary>
    public const int MaxConcurrentProbes = 128;

    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Routing is not { } routing)
        {
            return [CheckDefinition.Known(CheckResult.Warn(Area, "backends", "skipped: the configuration is invalid, so which backends exist is not known",
                "fix the configuration errors listed above, then run kedge check again"))];
        }

        // A backend resolves within one timeout and its endpoints answer within another (in parallel); the runner's
        // own timeout is a backstop that fires only when a step ignores its token.
        var perBackend = (context.Timeout * 2) + TimeSpan.FromSeconds(1);
        var probes = new SemaphoreSlim(MaxConcurrentProbes);
        var backends = routing.HttpBackends.Select(b => (Options: b, IsGrpc: false)).Concat(routing.GrpcBackends.Select(b => (Options: b, IsGrpc: true)));
        return [.. backends.Select(b =>
        {
            var check = new BackendCheck(context, b.Options, b.IsGrpc, probes);
            return new CheckDefinition(Area, check.LineName, check.RunAsync, perBackend);
        })];
    }
}
