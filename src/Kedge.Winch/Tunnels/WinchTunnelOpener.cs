using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Client.Tunnels;
using Kedge.Common;
using Kedge.Winch.Proxy;

namespace Kedge.Winch.Tunnels;

/// <summary>
/// Opens winch's tunnels (a CONNECT on the HTTP port, a <c>winch forward</c> connection) through the kedge the HTTP
/// routes map the destination to, with winch's client certificate and the route's proxy token. Never an open proxy: a
/// destination no route maps, or an IP address, is refused before anything is sent.
/// </summary>
internal sealed class WinchTunnelOpener(KedgeClient client)
{
    /// <summary>Opens the tunnel, or says why not.</summary>
    /// <returns>The tunnel's stream, or the refusal; exactly one is set.</returns>
    public async Task<(Stream? Tunnel, WinchTunnelRefusal? Refusal)> OpenAsync(WinchTunnelTarget target, CancellationToken cancellationToken)
    {
        var shown = target.ToString();
        if (System.Net.IPAddress.TryParse(target.Host, out _))
        {
            return (null, new WinchTunnelRefusal(403, $"winch does not tunnel to IP address {shown}: kedge routes by name; give the service's name", WinchErrorTypes.MappingError, null, IsCallerCaused: true));
        }

        try
        {
            return (await client.OpenTunnelAsync(target.Host, target.Port, cancellationToken).ConfigureAwait(false), null);
        }
        catch (KedgeTunnelException ex) when (ex.KedgeError is { } kedgeError)
        {
            var callerCaused = KedgeErrorKind.Find(kedgeError.Type)?.IsCallerCaused ?? false;
            return (null, new WinchTunnelRefusal((int)kedgeError.StatusCode, kedgeError.Message, null, kedgeError.Type ?? string.Empty, callerCaused));
        }
        catch (KedgeTunnelException ex) when (ex.InnerException is KedgeMappingException)
        {
            // The mapper's own refusal: another spelling of an IP address (0x7f.1), or a label a pattern may not capture.
            return (null, new WinchTunnelRefusal(403, $"winch does not tunnel to {shown}: {ex.InnerException.Message}", WinchErrorTypes.MappingError, null, IsCallerCaused: true));
        }
        catch (KedgeTunnelException ex)
        {
            // Not mapped, or mapped to a plain-text kedge: winch tunnels only through kedge, never directly.
            return (null, new WinchTunnelRefusal(403, $"winch tunnels only to kedge destinations: {ex.Message}", WinchErrorTypes.NotKedgeDestination, null, IsCallerCaused: true));
        }
        catch (KedgeTokenSourceException ex)
        {
            return (null, new WinchTunnelRefusal(502, ex.Message, WinchErrorTypes.AuthError, null, IsCallerCaused: false));
        }
        catch (HttpRequestException ex)
        {
            return (null, new WinchTunnelRefusal(502, $"tunnel to {shown}: kedge could not be reached: {ex.Message}", WinchErrorTypes.TransportUnknownError, null, IsCallerCaused: false));
        }
    }
}
