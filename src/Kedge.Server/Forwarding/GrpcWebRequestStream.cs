using System.IO.Pipelines;

namespace Kedge.Server.Forwarding;

/// <summary>
/// The translated request body as the <see cref="Stream"/> YARP reads. Grpc.AspNetCore.Web decodes a
/// <c>-text</c> body with a pipe reader that must be advanced past everything it returned (it decodes base64 in
/// groups and checks each advance against them); <see cref="PipeReader.AsStream"/> advances by the caller's buffer size
/// and breaks it. This stream takes every read whole and hands it out in the sizes asked for.
/// </summary>
internal sealed class GrpcWebRequestStream(PipeReader reader) : Stream
{
    private byte[] _pending = [];
    private int _offset;
    private int _count;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_count == 0)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var data = result.Buffer;
            if (!data.IsEmpty)
            {
                if (_pending.Length < data.Length)
                {
                    _pending = new byte[data.Length];
                }

                System.Buffers.BuffersExtensions.CopyTo(data, _pending);
                _offset = 0;
                _count = (int)data.Length;
            }

            reader.AdvanceTo(data.End);
            if (_count == 0 && result.IsCompleted)
            {
                return 0;
            }

            if (_count == 0 && result.IsCanceled)
            {
                throw new OperationCanceledException("The request body read was canceled.");
            }
        }

        var taken = Math.Min(buffer.Length, _count);
        _pending.AsMemory(_offset, taken).CopyTo(buffer);
        _offset += taken;
        _count -= taken;
        return taken;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The translated gRPC-Web body is read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
