namespace Kedge.Winch.Tunnels;

/// <summary>Copies a tunnel's bytes both ways until it ends, and says how it ended.</summary>
internal static class WinchTunnelCopy
{
    /// <summary>The caller closed its side (or its connection broke).</summary>
    public const string ClientClosed = "client_closed";

    /// <summary>Kedge closed the tunnel (the destination closed, or kedge stopped).</summary>
    public const string KedgeClosed = "kedge_closed";

    /// <summary>winch is stopping.</summary>
    public const string Shutdown = "shutdown";

    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Copies <paramref name="callerRead"/> → <paramref name="tunnel"/> → <paramref name="callerWrite"/> (one duplex
    /// stream may be both). The tunnel cannot be half-closed (an
    /// HttpClient duplex stream has no way to send END_STREAM alone), so after the caller's end-of-stream the copy
    /// toward the caller goes on until kedge closes or the caller's connection fails; when kedge closes, the caller's side
    /// is completed by <paramref name="completeCaller"/> and the tunnel ends.
    /// </summary>
    /// <returns>Bytes caller → kedge, bytes kedge → caller, and the reason it ended.</returns>
    public static async Task<(long Upstream, long Downstream, string Reason)> RunAsync(Stream callerRead, Stream callerWrite, Stream tunnel, Func<ValueTask> completeCaller, CancellationToken stopping)
    {
        var upstream = new long[1];
        var downstream = new long[1];
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var up = CopyAsync(callerRead, tunnel, upstream, ended.Token);
        var down = CopyAsync(tunnel, callerWrite, downstream, ended.Token);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        string reason;
        if (first == up && up.Result)
        {
            // The caller sent end-of-stream: it may still read the answer.
            await down.ConfigureAwait(false);
            reason = stopping.IsCancellationRequested ? Shutdown : down.Result ? KedgeClosed : ClientClosed;
        }
        else
        {
            reason = stopping.IsCancellationRequested ? Shutdown : first == down && down.Result ? KedgeClosed : ClientClosed;
        }

        await ended.CancelAsync().ConfigureAwait(false);
        try
        {
            await completeCaller().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The caller is gone already.
        }

        await Task.WhenAll(up, down).ConfigureAwait(false);
        return (Interlocked.Read(ref upstream[0]), Interlocked.Read(ref downstream[0]), reason);
    }

    /// <returns>True when <paramref name="from"/> ended cleanly (end-of-stream); false when reading or writing failed or was cancelled.</returns>
    private static async Task<bool> CopyAsync(Stream from, Stream to, long[] count, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return true;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await to.FlushAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref count[0], read);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or HttpRequestException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
