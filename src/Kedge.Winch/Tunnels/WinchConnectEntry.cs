using Kedge.Common;
using Kedge.Common.Http.Tunnels;
using Kedge.Winch.Dashboard;
using Kedge.Winch.Observability;
using Kedge.Winch.Proxy;
using Microsoft.AspNetCore.Connections;

namespace Kedge.Winch.Tunnels;

/// <summary>
/// HTTP/1.1 CONNECT on winch's HTTP port (<c>HTTPS_PROXY=http://127.0.0.1:8070</c>): the shared connection middleware
/// (<see cref="Http1ConnectTunnel{TContext}"/>) takes the head off the connection before Kestrel's parser, and this
/// opens the tunnel through the destination's kedge (<see cref="WinchTunnels"/>). Refusals are HTTP/1.1 answers with
/// winch's error headers, or kedge's passed on unchanged when kedge refused, and the connection is closed. The caller's
/// own <c>Proxy-Authorization</c> is never sent anywhere: winch sends the route's token to kedge.
/// </summary>
internal sealed class WinchConnectEntry
{
    private const string Source = "winch CONNECT";

    private readonly WinchTunnels _tunnels;
    private readonly WinchMetrics _metrics;
    private readonly WinchRecentErrors? _recentErrors;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationToken _stopping;
    private readonly Http1ConnectTunnel<ConnectionContext> _tunnel;

    public WinchConnectEntry(WinchTunnels tunnels, WinchMetrics metrics, WinchRecentErrors? recentErrors, TimeProvider timeProvider, TimeSpan headTimeout, CancellationToken stopping)
    {
        _tunnels = tunnels;
        _metrics = metrics;
        _recentErrors = recentErrors;
        _timeProvider = timeProvider;
        _stopping = stopping;
        _tunnel = new Http1ConnectTunnel<ConnectionContext>(OnConnectAsync, OnBadHeadAsync, new Http1ConnectLimits { HeadTimeout = headTimeout }, timeProvider);
    }

    /// <summary>The connection middleware on winch's HTTP listener: a connection that does not start with CONNECT goes on to HTTP untouched.</summary>
    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        bool taken;
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, _stopping))
        {
            try
            {
                // Stopping ends the wait for a first byte too: Kestrel's shutdown waits for connection middleware.
                taken = await _tunnel.TryTakeAsync(connection.Transport, connection, waiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (waiting.IsCancellationRequested)
            {
                return; // the caller left before saying what it is, or winch is stopping: not an error
            }
        }

        if (!taken)
        {
            await next(connection).ConfigureAwait(false);
        }
    }

    private async Task OnConnectAsync(Http1ConnectHead head, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        if (!WinchTunnelTarget.TryParse(head.Target, out var target, out var problem))
        {
            _metrics.HttpRequest("refused", StatusCodes.Status400BadRequest, TimeSpan.Zero);
            await RefuseAsync(stream, StatusCodes.Status400BadRequest, [new(WinchErrorTypes.ErrorHeader, "CONNECT target " + problem), new(WinchErrorTypes.ErrorTypeHeader, WinchErrorTypes.NotSupported)], cancellationToken).ConfigureAwait(false);
            return;
        }

        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        Stream? tunnel;
        WinchTunnelRefusal? refusal;
        try
        {
            (tunnel, refusal) = await _tunnels.OpenAsync(Source, target, connection.ConnectionId, opening.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (opening.IsCancellationRequested)
        {
            return; // the caller left, or winch is stopping
        }

        if (refusal is not null)
        {
            _metrics.HttpRequest("refused", refusal.StatusCode, _timeProvider.GetElapsedTime(started));
            List<KeyValuePair<string, string>> headers;
            if (refusal.WinchErrorType is { } winchType)
            {
                headers = [new(WinchErrorTypes.ErrorHeader, refusal.Message), new(WinchErrorTypes.ErrorTypeHeader, winchType)];
                if (!refusal.IsCallerCaused)
                {
                    _recentErrors?.Add(target.ToString(), winchType, refusal.Message);
                }
            }
            else
            {
                headers = [new(KedgeHeaders.Error, refusal.Message), new(KedgeHeaders.ErrorType, refusal.KedgeErrorType ?? string.Empty)];
                _recentErrors?.AddKedgeError(target.ToString(), refusal.StatusCode, refusal.KedgeErrorType);
            }

            await RefuseAsync(stream, refusal.StatusCode, headers, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await Http1ConnectResponse.WriteEstablishedAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            await tunnel!.DisposeAsync().ConfigureAwait(false);
            return;
        }

        _metrics.HttpRequest("tunnel", StatusCodes.Status200OK, _timeProvider.GetElapsedTime(started));
        await _tunnels.CarryAsync(Source, target, connection.ConnectionId, tunnel!, stream, stream, () => connection.Transport.Output.CompleteAsync(), _stopping).ConfigureAwait(false);
    }

    private async Task OnBadHeadAsync(Http1ConnectHeadError error, ConnectionContext connection, Stream stream, CancellationToken cancellationToken)
    {
        var (status, message) = error switch
        {
            Http1ConnectHeadError.TooLarge => (StatusCodes.Status431RequestHeaderFieldsTooLarge, $"the CONNECT request head is larger than {Http1ConnectLimits.DefaultMaxHeadBytes} bytes"),
            Http1ConnectHeadError.Timeout => (StatusCodes.Status408RequestTimeout, "the CONNECT request head did not arrive in time"),
            _ => (StatusCodes.Status400BadRequest, "malformed CONNECT request head: send 'CONNECT host:port HTTP/1.1', header lines ending in CRLF, no body"),
        };
        _metrics.HttpRequest("refused", status, TimeSpan.Zero);
        await RefuseAsync(stream, status, [new(WinchErrorTypes.ErrorHeader, message), new(WinchErrorTypes.ErrorTypeHeader, WinchErrorTypes.NotSupported)], cancellationToken).ConfigureAwait(false);
    }

    private static async Task RefuseAsync(Stream stream, int status, List<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        try
        {
            await Http1ConnectResponse.WriteRefusalAsync(stream, status, headers, headers[0].Value + "\n", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The caller went away before reading the refusal.
        }
    }
}
