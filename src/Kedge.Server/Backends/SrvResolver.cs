using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Resolves DNS SRV records to every address of every target (Go used only the first address), with an optional port
/// override; re-resolves periodically and reports only changes. A failed lookup keeps the last known endpoints.
/// </summary>
internal sealed class SrvResolver : IBackendResolver
{
    private readonly string _dnsName;
    private readonly int _portOverride;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly LookupClient _dns;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public SrvResolver(string dnsName, int portOverride, TimeSpan interval, TimeProvider timeProvider, ILogger logger, LookupClient? dns = null)
    {
        _dnsName = dnsName;
        _portOverride = portOverride;
        _interval = interval;
        _timeProvider = timeProvider;
        _logger = logger;
        _dns = dns ?? new LookupClient(new LookupClientOptions { UseCache = false, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });
    }

    public async Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        var last = await ResolveAsync(previous: null, onChange, cancellationToken);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_interval, _timeProvider, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                last = await ResolveAsync(last, onChange, _stop.Token);
            }
        }, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    private async Task<BackendEndpoint[]?> ResolveAsync(BackendEndpoint[]? previous, Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _dns.QueryAsync(_dnsName, QueryType.SRV, cancellationToken: cancellationToken);
            if (response.HasError)
            {
                // NXDOMAIN, SERVFAIL, ...: DnsClient answers instead of throwing. Keep what we had.
                throw new DnsResponseException((DnsResponseCode)response.Header.ResponseCode, response.ErrorMessage);
            }

            var endpoints = new List<BackendEndpoint>();
            foreach (var srv in response.Answers.OfType<SrvRecord>())
            {
                var port = _portOverride != 0 ? _portOverride : srv.Port;
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
                        // One target that does not resolve must not hold back the others.
                        KedgeServerLog.ResolutionFailed(_logger, target, ex);
                        continue;
                    }
                }

                endpoints.AddRange(addresses.Select(a => new BackendEndpoint(a.ToString(), port)));
            }

            var sorted = endpoints.Distinct().OrderBy(e => e.Authority, StringComparer.Ordinal).ToArray();
            if (previous is null || !previous.SequenceEqual(sorted))
            {
                onChange(sorted);
            }

            return sorted;
        }
        catch (Exception ex) when (ex is DnsResponseException or System.Net.Sockets.SocketException or ArgumentException)
        {
            KedgeServerLog.ResolutionFailed(_logger, _dnsName, ex);
            if (previous is null)
            {
                onChange([]);
            }

            return previous ?? [];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return previous;
        }
    }
}
