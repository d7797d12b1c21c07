using System.Buffers;
using System.Net.Sockets;
using Kedge.Server.Observability;

namespace Kedge.Server.Tunnels;

/// <summary>
/// Carries an open tunnel's bytes both ways until it ends, counting them per route. The caller half-closing is passed on
/// to the backend (TCP FIN) and the tunnel lasts until the backend finishes; the backend closing ends the tunnel.
/// </summary>
internal static class TunnelRelay
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Relays until the tunnel ends; returns the close reason (<see cref="TunnelCloseReason"/>).</summary>
    /// <param name="callerIn">What the caller sends.</param>
    /// <param name="callerOut">Where the caller reads (the same stream as <paramref name="callerIn"/> for duplex streams).</param>
    /// <param name="completeCaller">Ends the caller's side once the backend has finished (HTTP/2: ends the stream).</param>
    /// <param name="backend">The connection to the backend.</param>
    /// <param name="metrics">Where the bytes are counted.</param>
    /// <param name="route">The <c>route</c> label.</param>
    /// <param name="backendName">The <c>backend_name</c> label.</param>
    /// <param name="stopping">Cancelled when kedge stops.</param>
    /// <param name="aborted">Cancelled when the caller's connection or stream is gone.</param>
    public static async Task<string> RunAsync(
        Stream callerIn,
        Stream callerOut,
        Func<Task> completeCaller,
        Stream backend,
        KedgeMetrics metrics,
        string route,
        string backendName,
        CancellationToken stopping,
        CancellationToken aborted)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(stopping, aborted);
        var up = CopyAsync(callerIn, backend, metrics, route, backendName, "upstream", end.Token);
        var down = CopyAsync(backend, callerOut, metrics, route, backendName, "downstream", end.Token);
        var first = await Task.WhenAny(up, down);
        string reason;
        if (first == up && up.Result == CopyEnd.SourceFinished)
        {
            // The caller is done sending: pass the half-close on, and let the backend finish its answer.
            reason = TunnelCloseReason.ClientClosed;
            if (backend is NetworkStream network)
            {
                try
                {
                    network.Socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // Already reset: the downstream copy ends on its own.
                }
            }

            await down;
        }
        else if (first == down && down.Result == CopyEnd.SourceFinished)
        {
            reason = TunnelCloseReason.BackendClosed;
            await CompleteQuietlyAsync(completeCaller);
            await end.CancelAsync();
            await up;
        }
        else
        {
            var ended = first.Result;
            reason = stopping.IsCancellationRequested ? TunnelCloseReason.Shutdown
                : ended == CopyEnd.SourceFailed ? (first == up ? TunnelCloseReason.ClientClosed : TunnelCloseReason.BackendClosed)
                : ended == CopyEnd.DestinationFailed ? (first == up ? TunnelCloseReason.BackendClosed : TunnelCloseReason.ClientClosed)
                : aborted.IsCancellationRequested ? TunnelCloseReason.ClientClosed
                : TunnelCloseReason.Error;
            await end.CancelAsync();
            await Task.WhenAll(up, down);
        }

        return reason;
    }

    private static async Task CompleteQuietlyAsync(Func<Task> complete)
    {
        try
        {
            await complete();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // The caller is already gone.
        }
    }

    private static async Task<CopyEnd> CopyAsync(Stream from, Stream to, KedgeMetrics metrics, string route, string backend, string direction, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await from.ReadAsync(buffer, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return CopyEnd.Cancelled;
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return CopyEnd.SourceFailed;
                }

                if (read == 0)
                {
                    return CopyEnd.SourceFinished;
                }

                try
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await to.FlushAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return CopyEnd.Cancelled;
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return CopyEnd.DestinationFailed;
                }

                metrics.TunnelBytes(route, backend, direction, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum CopyEnd
    {
        SourceFinished,
        SourceFailed,
        DestinationFailed,
        Cancelled,
    }
}
