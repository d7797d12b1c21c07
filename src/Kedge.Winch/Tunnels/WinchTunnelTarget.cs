using System.Globalization;

namespace Kedge.Winch.Tunnels;

/// <summary>A tunnel's destination, <c>host:port</c>, as a CONNECT request or <c>winch forward</c> names it.</summary>
internal readonly record struct WinchTunnelTarget(string Host, int Port)
{
    /// <summary><c>host:port</c>, with brackets around an IPv6 address.</summary>
    public override string ToString()
        => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>host:port</c> (<c>[v6]:port</c>); the port is required, as in a CONNECT request (RFC 9110 §9.3.6).</summary>
    /// <param name="authority">The text to parse.</param>
    /// <param name="target">The target, when the text is one.</param>
    /// <param name="problem">Why it is not, when it is not.</param>
    public static bool TryParse(string authority, out WinchTunnelTarget target, out string problem)
    {
        target = default;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || colon == authority.Length - 1)
        {
            problem = $"\"{authority}\" is not host:port; give the service's name and port, for example postgres.db.svc.cluster-b.kedge:5432";
            return false;
        }

        var host = authority[..colon];
        if (host.StartsWith('[') != host.EndsWith(']') || (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')))
        {
            problem = $"\"{authority}\" is not host:port; an IPv6 address goes in brackets, [::1]:5432";
            return false;
        }

        if (!int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = $"\"{authority}\": the port must be a number from 1 to 65535";
            return false;
        }

        host = host.Trim('[', ']');
        if (host.Length == 0)
        {
            problem = $"\"{authority}\" has no host; give the service's name, for example postgres.db.svc.cluster-b.kedge:5432";
            return false;
        }

        target = new WinchTunnelTarget(host, port);
        problem = string.Empty;
        return true;
    }
}
