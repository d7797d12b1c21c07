namespace Kedge.Server.Dashboard;

/// <summary>Everything the dashboard shows, as <c>/debug/dashboard/state</c> serves it. Holds no secret: no token, key or header value.</summary>
internal sealed record DashboardView(
    string Version,
    DateTimeOffset Now,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int WindowSeconds,
    IReadOnlyList<RouteView> Routes,
    IReadOnlyList<BackendView> Backends,
    DiscoveryView Discovery,
    ReloadsView Reloads,
    IReadOnlyList<CertificateView> Certificates);
