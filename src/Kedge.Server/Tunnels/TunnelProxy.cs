using Kedge.Common;
using Kedge.Server.Configuration;
using Kedge.Server.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Tunnels;

/// <summary>
/// CONNECT requests: TCP tunnels to the destinations a tunnel route or an adhoc rule allows. Not built yet: every
/// CONNECT is refused, as before.
/// </summary>
internal sealed class TunnelProxy(KedgeErrors errors)
{
    /// <summary>Whether the request is an extended CONNECT for a WebSocket (RFC 8441), which is routed as HTTP.</summary>
    public static bool IsWebSocket(HttpContext context)
        => context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);

    public Task ProxyAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        _ = snapshot;
        context.Response.Headers.Allow = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
        return errors.ReportAsync(context, KedgeErrorKind.MethodNotAllowed, "CONNECT is not supported: kedge does not tunnel", backend: string.Empty, isGrpc: false);
    }
}
