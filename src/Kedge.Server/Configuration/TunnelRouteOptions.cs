namespace Kedge.Server.Configuration;

/// <summary>
/// A tunnel route: which CONNECT destinations kedge opens a TCP tunnel to (HTTP/1.1 CONNECT, HTTP/2 CONNECT and
/// extended CONNECT with <c>:protocol connect-tcp</c>, on the TLS proxy port only). Native configuration only: Go kedge
/// never tunnelled, so its JSON has no tunnel routes.
/// </summary>
public sealed class TunnelRouteOptions
{
    /// <summary>The route's name in metrics (<c>route</c> label). Default: its host matcher.</summary>
    public string? Name { get; set; }

    /// <summary>The destination name: exact (<c>db.shop.svc.cluster-b.kedge</c>) or <c>*.suffix</c>; case-insensitive. Required.</summary>
    public string? Host { get; set; }

    /// <summary>The ports a CONNECT may name (1–65535). Required: at least one.</summary>
    public List<int> Ports { get; set; } = [];

    /// <summary>
    /// A backend of <c>HttpBackends</c> without <c>Tls</c> (the tunnel carries the caller's bytes as they are; TLS inside
    /// the tunnel is end to end). Its resolver and balancer choose the endpoint, whose port is the one connected to.
    /// </summary>
    public string? Backend { get; set; }

    /// <summary>Who may open tunnels through the route; unset: the <c>Kedge:Auth</c> default.</summary>
    public RouteAuthorizationOptions? Authorization { get; set; }
}
