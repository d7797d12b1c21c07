using Kedge.Winch.Internal;

namespace Kedge.Winch.Tunnels;

/// <summary>
/// One tunnel's life for both of winch's tunnel doors (a CONNECT on the HTTP port, a <c>winch forward</c> listener):
/// open through kedge, log, carry the bytes, log how it ended. Per-tunnel lines are Debug; failures that are not the
/// caller's doing are Warning, at most one per 10 s with a count of the rest.
/// </summary>
internal sealed class WinchTunnels(WinchTunnelOpener opener, ILogger logger, TimeProvider timeProvider)
{
    private readonly WinchLogThrottle _failures = new(timeProvider, TimeSpan.FromSeconds(10));

    public async Task<(Stream? Tunnel, WinchTunnelRefusal? Refusal)> OpenAsync(string source, WinchTunnelTarget target, string connectionId, CancellationToken cancellationToken)
    {
        var (tunnel, refusal) = await opener.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            var type = refusal.WinchErrorType ?? refusal.KedgeErrorType ?? string.Empty;
            if (refusal.IsCallerCaused)
            {
                WinchTunnelLog.Refused(logger, source, target, refusal.StatusCode, type, refusal.Message);
            }
            else if (_failures.TryEnter(out var suppressed))
            {
                WinchTunnelLog.Failed(logger, source, target, refusal.StatusCode, type, refusal.Message, suppressed);
            }
        }
        else
        {
            WinchTunnelLog.Opened(logger, source, target, connectionId);
        }

        return (tunnel, refusal);
    }

    /// <summary>Carries the bytes until either end closes (or winch stops), then disposes the tunnel.</summary>
    public async Task CarryAsync(string source, WinchTunnelTarget target, string connectionId, Stream tunnel, Stream callerRead, Stream callerWrite, Func<ValueTask> completeCaller, CancellationToken stopping)
    {
        var started = timeProvider.GetTimestamp();
        await using (tunnel.ConfigureAwait(false))
        {
            var (upstream, downstream, reason) = await WinchTunnelCopy.RunAsync(callerRead, callerWrite, tunnel, completeCaller, stopping).ConfigureAwait(false);
            var duration = timeProvider.GetElapsedTime(started);
            WinchTunnelLog.Closed(logger, source, target, reason, upstream, downstream, duration, connectionId);
        }
    }
}
