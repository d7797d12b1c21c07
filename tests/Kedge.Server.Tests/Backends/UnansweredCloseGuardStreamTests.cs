using System.IO.Pipelines;
using System.Net.Http;
using Kedge.Server.Backends;

namespace Kedge.Server.Tests.Backends;

public sealed class UnansweredCloseGuardStreamTests
{
    private readonly Pipe _fromBackend = new();
    private readonly MemoryStream _toBackend = new();
    private readonly UnansweredCloseGuardStream _stream;

    public UnansweredCloseGuardStreamTests()
    {
        _stream = new UnansweredCloseGuardStream(new DuplexStream(_fromBackend.Reader.AsStream(), _toBackend));
    }

    [Fact]
    public async Task ReadAsync_EndOfStreamAfterRequestWritten_ThrowsResponseEnded()
    {
        await _stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await _fromBackend.Writer.CompleteAsync();

        var ex = await Assert.ThrowsAsync<HttpIOException>(() => _stream.ReadAsync(new byte[16]).AsTask());

        Assert.Equal(HttpRequestError.ResponseEnded, ex.HttpRequestError);
    }

    [Fact]
    public async Task ReadAsync_EndOfStreamBeforeAnyWrite_PassedOnAsEndOfStream()
    {
        // An idle connection the backend closed: nothing was sent, so the handler may safely use another connection.
        await _fromBackend.Writer.CompleteAsync();

        Assert.Equal(0, await _stream.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task ReadAsync_EndOfStreamAfterAnswer_PassedOnAsEndOfStream()
    {
        // A body delimited by the close (no Content-Length): the end of stream is the end of the answer.
        await _stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await _fromBackend.Writer.WriteAsync("HTTP/1.0 200 OK\r\n\r\nbody"u8.ToArray());
        await _fromBackend.Writer.CompleteAsync();

        Assert.True(await _stream.ReadAsync(new byte[64]) > 0);
        Assert.Equal(0, await _stream.ReadAsync(new byte[64]));
    }

    [Fact]
    public async Task ReadAsync_ZeroByteProbe_NotTakenForEndOfStream()
    {
        await _stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await _fromBackend.Writer.WriteAsync("H"u8.ToArray());

        Assert.Equal(0, await _stream.ReadAsync(Memory<byte>.Empty));
    }

    [Fact]
    public async Task ReadAsync_ReadStartedBeforeTheWriteEndsAfterIt_Throws()
    {
        // The handler's read-ahead on a pooled connection starts before the request is written.
        var pending = _stream.ReadAsync(new byte[16]).AsTask();
        await _stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await _fromBackend.Writer.CompleteAsync();

        await Assert.ThrowsAsync<HttpIOException>(() => pending);
    }

    /// <summary>Reads from one stream and writes to another, like a socket's two directions.</summary>
    private sealed class DuplexStream(Stream read, Stream write) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
