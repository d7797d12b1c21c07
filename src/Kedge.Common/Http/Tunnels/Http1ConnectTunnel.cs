using System.Buffers;
using System.IO.Pipelines;

namespace Kedge.Common.Http.Tunnels;

/// <summary>
/// Takes HTTP/1.1 <c>CONNECT</c> off a connection before Kestrel's HTTP parser sees it (Kestrel cannot tunnel an
/// HTTP/1.1 CONNECT: it answers with a chunked body). It peeks at the first bytes without consuming them: a connection
/// that does not start with <c>CONNECT </c> is handed back untouched (<see cref="TryTakeAsync"/> returns
/// <see langword="false"/> and the caller runs the next connection middleware). A CONNECT head is read within
/// <see cref="Http1ConnectLimits"/> and given to the product's handler with the connection as a duplex stream.
/// Products wire it as a Kestrel connection middleware (<c>ListenOptions.Use</c>, after <c>UseHttps</c>); this type
/// knows nothing of Kestrel, so Kedge.Common stays free of ASP.NET Core.
/// </summary>
/// <typeparam name="TContext">The product's connection type, passed through to the handlers.</typeparam>
internal sealed class Http1ConnectTunnel<TContext>(
    Http1ConnectHandler<TContext> onConnect,
    Http1ConnectRefusalHandler<TContext> onBadHead,
    Http1ConnectLimits limits,
    TimeProvider timeProvider)
{
    /// <summary>
    /// Handles the connection if it starts with <c>CONNECT </c>. Returns <see langword="false"/> when it does not, with
    /// nothing consumed or examined; <see langword="true"/> when the connection was a CONNECT and is finished (answered
    /// and, for a tunnel, carried until it ended, or closed because its head timed out): the caller then closes it.
    /// </summary>
    public async Task<bool> TryTakeAsync(IDuplexPipe transport, TContext context, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(limits.HeadTimeout, timeProvider);
        using var headToken = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var input = transport.Input;
        var isConnect = false;
        ReadOnlySequence<byte> headBytes;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(headToken.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                if (isConnect)
                {
                    await RefuseAsync(Http1ConnectHeadError.Timeout, transport, context, cancellationToken).ConfigureAwait(false);
                }

                // A connection that has not said what it is within the head timeout is closed, as Kestrel would.
                return true;
            }

            var buffer = result.Buffer;
            if (!isConnect)
            {
                switch (Http1ConnectHeadParser.Peek(buffer))
                {
                    case Http1ConnectPeek.NotConnect:
                        // Consumed = examined = start: Kestrel's first read returns the same bytes at once.
                        input.AdvanceTo(buffer.Start);
                        return false;
                    case Http1ConnectPeek.NeedMore when result.IsCompleted:
                        input.AdvanceTo(buffer.Start);
                        return false;
                    case Http1ConnectPeek.NeedMore:
                        input.AdvanceTo(buffer.Start, buffer.End);
                        continue;
                    default:
                        isConnect = true;
                        break;
                }
            }

            if (Http1ConnectHeadParser.FindEndOfHead(buffer.Slice(0, Math.Min(buffer.Length, limits.MaxHeadBytes))) is { } end)
            {
                headBytes = buffer.Slice(0, end);
                break;
            }

            if (buffer.Length >= limits.MaxHeadBytes || result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                await RefuseAsync(buffer.Length >= limits.MaxHeadBytes ? Http1ConnectHeadError.TooLarge : Http1ConnectHeadError.Malformed, transport, context, cancellationToken).ConfigureAwait(false);
                return true;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }

        var parsed = Http1ConnectHeadParser.TryParse(headBytes.ToArray(), out var head);
        input.AdvanceTo(headBytes.End);
        if (!parsed)
        {
            await RefuseAsync(Http1ConnectHeadError.Malformed, transport, context, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var stream = new DuplexPipeStream(transport);
        await using (stream.ConfigureAwait(false))
        {
            await onConnect(head!, context, stream, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task RefuseAsync(Http1ConnectHeadError error, IDuplexPipe transport, TContext context, CancellationToken cancellationToken)
    {
        var stream = new DuplexPipeStream(transport);
        await using (stream.ConfigureAwait(false))
        {
            await onBadHead(error, context, stream, cancellationToken).ConfigureAwait(false);
        }
    }
}
