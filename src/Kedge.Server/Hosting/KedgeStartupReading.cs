using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;

namespace Kedge.Server.Hosting;

/// <summary>
/// What <see cref="KedgeProgram.ReadStartup"/> found: the routing source, the settings and where each came from, the
/// validated routing, and every error in the order it was found (also split into the routing's and the settings').
/// A start refuses to go on with any error; <c>kedge check</c> reports each one as a line.
/// </summary>
/// <param name="Source">The routing source; null when the flags name none or contradict each other.</param>
/// <param name="Report">The settings and their winners.</param>
/// <param name="Routing">The validated routing; null when it could not be read or is invalid.</param>
/// <param name="Errors">Every error, in the order found.</param>
/// <param name="RoutingErrors">The errors of the routing source and its reading (file, JSON path, the fix).</param>
/// <param name="SettingsErrors">The errors of the settings (flag, environment variable or file key, the fix).</param>
/// <param name="KubernetesAccessErrors">Why the Kubernetes client cannot be created, when discovery or a Kubernetes backend needs it.</param>
internal sealed record KedgeStartupReading(
    KedgeConfigSource? Source,
    KedgeSettingsReport Report,
    KedgeServerOptions? Routing,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> RoutingErrors,
    IReadOnlyList<string> SettingsErrors,
    IReadOnlyList<string> KubernetesAccessErrors);
