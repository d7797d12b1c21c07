using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Resolves DNS SRV records to every address of every target (Go used only the first address), with an optional port
/// override. A target whose name does not resolve is skipped rather than holding back the others.
/// </summary>
internal sealed class SrvResolver(string dnsName, int portOverride, TimeSpan interval, TimeProvider timeProvider, ILogger logger, LookupClient? dns = null)
    : PollingResolver(dnsName, interval, timeProvider, logger)
{
    private readonly LookupClient _dns = dns ?? new LookupClient(new LookupClientOptions { UseCache = false, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });

    protected override async Task<IReadOnlyList<BackendEndpoint>> ResolveAsync(CancellationToken cancellationToken)
    {
        var response = await _dns.QueryAsync(Name, QueryType.SRV, cancellationToken: cancellationToken);
        if (response.HasError)
        {
            // NXDOMAIN, SERVFAIL, ...: DnsClient answers instead of throwing. Keep what we had.
            throw new DnsResponseException((DnsResponseCode)response.Header.ResponseCode, response.ErrorMessage);
        }

        var endpoints = new List<BackendEndpoint>();
        foreach (var srv in response.Answers.OfType<SrvRecord>())
        {
            var port = portOverride != 0 ? portOverride : srv.Port;
            var target = srv.Target.Value.TrimEnd('.');
            var addresses = response.Additionals.OfType<AddressRecord>().Where(a => a.DomainName.Value.TrimEnd('.') == target).Select(a => a.Address).ToList();
            if (addresses.Count == 0)
            {
                try
                {
                    addresses = [.. await Dns.GetHostAddressesAsync(target, cancellationToken)];
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    KedgeServerLog.ResolutionFailed(Logger, target, ex);
                    continue;
                }
            }

            endpoints.AddRange(addresses.Select(a => new BackendEndpoint(a.ToString(), port)));
        }

        // No record (or no target that resolves) is a failed lookup, as NXDOMAIN is: keep the last good endpoints.
        return endpoints.Count > 0 ? endpoints : throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NoData);
    }

    protected override bool IsLookupFailure(Exception exception) => exception is DnsResponseException or System.Net.Sockets.SocketException or ArgumentException;
}
