namespace Kedge.Server.Dashboard;

/// <summary>
/// One endpoint: <c>healthy</c>; <c>ejected</c> (out of rotation until <see cref="Until"/>, because of <see cref="Error"/>);
/// or <c>failing</c> (a failure within <see cref="KedgeDashboard.FailingWindow"/> that did not eject it).
/// </summary>
internal sealed record EndpointView(string Authority, string State, DateTimeOffset? Until, string? Error, DateTimeOffset? FailedAt);
