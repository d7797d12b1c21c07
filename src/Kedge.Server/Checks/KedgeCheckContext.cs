using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Configuration.Sources;

namespace Kedge.Server.Checks;

/// <summary>
/// What every <c>kedge check</c> area reads: the settings and routing exactly as <c>kedge</c> with the same flags would
/// start with them. <see cref="Routing"/> is null when the routing could not be read or is invalid; the configuration
/// area reports why (<see cref="ConfigurationErrors"/>), and areas that need the routing say they were skipped.
/// </summary>
/// <param name="Report">The settings and where each came from.</param>
/// <param name="Routing">The validated routing; null when invalid.</param>
/// <param name="RoutingSource">Where the routing came from, for the lines ("kedge.json", "director.json (director config)").</param>
/// <param name="ConfigurationErrors">Every error the start-up reading found, each with its source path.</param>
/// <param name="TimeProvider">The clock (certificate expiry) and the timers of the checks.</param>
/// <param name="Timeout">The per-check timeout (<c>--timeout</c>).</param>
/// <param name="ExpectedNames">The names callers use to reach this kedge (<c>--expect_name</c>); the server certificate must cover each.</param>
/// <param name="ProbePath">When set (<c>--probe_path</c>), every endpoint of an HTTP backend also gets a GET of this path.</param>
internal sealed record KedgeCheckContext(
    KedgeSettingsReport Report,
    KedgeServerOptions? Routing,
    string RoutingSource,
    IReadOnlyList<string> ConfigurationErrors,
    TimeProvider TimeProvider,
    TimeSpan Timeout,
    IReadOnlyList<string> ExpectedNames,
    string? ProbePath)
{
    public KedgeSettings Settings => Report.Settings;

    /// <summary>The part of <see cref="ConfigurationErrors"/> the routing source and its reading found (file and JSON path in each).</summary>
    public IReadOnlyList<string> RoutingErrors { get; init; } = [];

    /// <summary>The part of <see cref="ConfigurationErrors"/> that says why the Kubernetes client cannot be created.</summary>
    public IReadOnlyList<string> KubernetesAccessErrors { get; init; } = [];

    /// <summary>Renders a native routing key (<c>HttpRoutes:3</c>) as the user's source location; null when unknown.</summary>
    public RoutingOrigin? RoutingOrigin { get; init; }
}
