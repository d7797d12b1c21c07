using System.Net;
using System.Net.Http;

namespace Kedge.Server.Backends;

/// <summary>
/// Stops SocketsHttpHandler from resending an HTTP/1.1 request that may have reached the backend. When a backend closes
/// the connection (FIN) before the first byte of its answer, SocketsHttpHandler treats a request without content as
/// safe to retry (it assumes an idle connection closed by the server) and sends it again, up to 3 more times, on new
/// connections — so a backend that reads a request and closes received it 4 times. This stream turns that end of
/// stream into an <see cref="HttpIOException"/> (<see cref="HttpRequestError.ResponseEnded"/>), which the handler does
/// not retry, when request bytes were written since the last answer byte: the request
/// may have been read, so the failure is reported and never resent. An end of stream seen before any byte of the
/// request was written (the idle-connection race the handler's retry exists for) is still passed on as such: then
/// nothing was sent and the handler's retry is safe.
/// </summary>
/// <remarks>HTTP/2 needs no guard: there the handler resends only what the server declared unprocessed (REFUSED_STREAM,
/// a GOAWAY below the stream's id) or what was never written. On an upgraded (101) connection a backend that closes
/// right after the caller's last bytes, without sending anything, now ends the tunnel with an error instead of a
/// clean end of stream; both end the tunnel.</remarks>
internal sealed class UnansweredCloseGuardStream(Stream inner) : Stream
{
    public const string Message = "The backend closed the connection after the request was sent and before answering it; the request may have been processed, so it is not resent.";

    // Written by the request side, read by the response side (possibly a read-ahead started before the write).
    private volatile bool _awaitingAnswer;

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>A <see cref="SocketsHttpHandler.PlaintextStreamFilter"/>: guards HTTP/1.x connections, leaves HTTP/2 ones alone.</summary>
    public static ValueTask<Stream> Filter(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
        => ValueTask.FromResult(context.NegotiatedHttpVersion.Major == 1 ? new UnansweredCloseGuardStream(context.PlaintextStream) : context.PlaintextStream);

    public override int Read(byte[] buffer, int offset, int count) => Observe(inner.Read(buffer, offset, count), count);

    public override int Read(Span<byte> buffer) => Observe(inner.Read(buffer), buffer.Length);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A read that has already completed costs no state machine.
        var read = inner.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? ValueTask.FromResult(Observe(read.Result, buffer.Length)) : AwaitAsync(read, buffer.Length);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _awaitingAnswer = true;
        inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _awaitingAnswer = true;
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Before the bytes leave: once a write has started, the backend may read them.
        _awaitingAnswer = true;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // Pooled: most socket reads complete later, and this runs for every read of every HTTP/1.1 backend response.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitAsync(ValueTask<int> read, int requested) => Observe(await read, requested);

    private int Observe(int read, int requested)
    {
        if (read > 0)
        {
            _awaitingAnswer = false;
        }
        else if (requested > 0 && _awaitingAnswer)
        {
            // A zero-byte read (the handler's "is data available" probe) returning 0 is not an end of stream.
            throw new HttpIOException(HttpRequestError.ResponseEnded, Message);
        }

        return read;
    }
}
