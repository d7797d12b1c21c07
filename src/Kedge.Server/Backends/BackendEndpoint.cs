using System.Net;

namespace Kedge.Server.Backends;

/// <summary>One resolved address of a backend.</summary>
internal sealed record BackendEndpoint(string Host, int Port)
{
    /// <summary><c>host:port</c>, with brackets for IPv6.</summary>
    public string Authority { get; } = (IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host) + ":" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => Authority;
}
