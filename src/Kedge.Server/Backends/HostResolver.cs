using System.Net;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Resolves a DNS name to every A/AAAA address with a fixed port, re-resolving periodically and reporting only changes.
/// A failed lookup keeps the last known endpoints.
/// </summary>
internal sealed class HostResolver : IBackendResolver
{
    private readonly string _dnsName;
    private readonly int _port;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public HostResolver(string dnsName, int port, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    {
        _dnsName = dnsName;
        _port = port;
        _interval = interval;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        // The first answer is awaited, so a backend is ready (or knowingly empty) when the configuration is applied.
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
            var addresses = await Dns.GetHostAddressesAsync(_dnsName, cancellationToken);
            var endpoints = addresses.Select(a => a.ToString()).Distinct().Order(StringComparer.Ordinal).Select(a => new BackendEndpoint(a, _port)).ToArray();
            if (previous is null || !previous.SequenceEqual(endpoints))
            {
                onChange(endpoints);
            }

            return endpoints;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException)
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
