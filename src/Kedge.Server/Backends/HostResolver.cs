using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Resolves a DNS name to every A/AAAA address with a fixed port (Go kedge's <c>host</c> resolver): through the system
/// resolver (hosts file, search domains), or through <paramref name="dns"/> when kedge is given its own DNS servers
/// (<c>Kedge:Server:DnsServers</c>), which then bypasses the hosts file and search domains. No address at all is a lookup
/// failure either way, so <see cref="PollingResolver"/> keeps the last good endpoints.
/// </summary>
internal sealed class HostResolver(string dnsName, int port, TimeSpan interval, TimeProvider timeProvider, ILogger logger, LookupClient? dns = null)
    : PollingResolver(dnsName, interval, timeProvider, logger)
{
    protected override async Task<IReadOnlyList<BackendEndpoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        if (dns is null)
        {
            var addresses = await Dns.GetHostAddressesAsync(Name, cancellationToken);
            return [.. addresses.Select(a => new BackendEndpoint(a.ToString(), port))];
        }

        var v4 = dns.QueryAsync(Name, QueryType.A, cancellationToken: cancellationToken);
        var v6 = dns.QueryAsync(Name, QueryType.AAAA, cancellationToken: cancellationToken);
        var answers = await Task.WhenAll(v4, v6);
        var endpoints = answers.SelectMany(a => a.Answers.OfType<AddressRecord>()).Select(a => new BackendEndpoint(a.Address.ToString(), port)).ToList();
        if (endpoints.Count > 0)
        {
            return endpoints;
        }

        // No address is a failed lookup, as the system resolver's: the last good endpoints stay. NXDOMAIN, SERVFAIL, ...
        // (DnsClient answers instead of throwing) name the failed query; NODATA for both says there is no record.
        if (answers.FirstOrDefault(a => a.HasError) is { } failed)
        {
            throw new DnsResponseException((DnsResponseCode)failed.Header.ResponseCode, failed.ErrorMessage);
        }

        throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NoData);
    }

    protected override bool IsLookupFailure(Exception exception) => exception is System.Net.Sockets.SocketException or ArgumentException or DnsResponseException;
}
