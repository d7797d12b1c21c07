using System.Net;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>Resolves a DNS name to every A/AAAA address with a fixed port (Go kedge's <c>host</c> resolver).</summary>
internal sealed class HostResolver(string dnsName, int port, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    : PollingResolver(dnsName, interval, timeProvider, logger)
{
    protected override async Task<IReadOnlyList<BackendEndpoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(Name, cancellationToken);
        return [.. addresses.Select(a => new BackendEndpoint(a.ToString(), port))];
    }

    protected override bool IsLookupFailure(Exception exception) => exception is System.Net.Sockets.SocketException or ArgumentException;
}
