namespace Kedge.Server.Tunnels;

/// <summary>The <c>reason</c> label values of <c>kedge_tunnels_closed_total</c>.</summary>
internal static class TunnelCloseReason
{
    /// <summary>The caller ended the tunnel (closed, half-closed then the backend finished, or reset).</summary>
    public const string ClientClosed = "client_closed";

    /// <summary>The backend ended the tunnel (closed or reset).</summary>
    public const string BackendClosed = "backend_closed";

    /// <summary>No endpoint of the route's backend (or address of the adhoc name) accepted the connection: the tunnel never opened.</summary>
    public const string ConnectFailed = "connect_failed";

    /// <summary>kedge was stopping.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Anything else.</summary>
    public const string Error = "error";
}
