using System.IO.Pipelines;

namespace Kedge.Server.Forwarding;

/// <summary>
/// The translated response body as the <see cref="Stream"/> YARP writes the backend's answer to. Grpc.AspNetCore.Web's
/// feature gives no usable response stream, and its base64 writer (for <c>-text</c>) hands out memory only as large
/// as asked for (<see cref="PipeWriter.AsStream"/> asks for none and fails), so each write asks for its own size.
/// Every write is flushed: gRPC messages go on as they arrive.
/// </summary>
internal sealed class GrpcWebResponseStream(PipeWriter writer) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        buffer.CopyTo(writer.GetMemory(buffer.Length));
        writer.Advance(buffer.Length);
        await writer.FlushAsync(cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken) => await writer.FlushAsync(cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The translated gRPC-Web answer is written asynchronously.");

    public override void Flush() => throw new NotSupportedException("The translated gRPC-Web answer is flushed asynchronously.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
