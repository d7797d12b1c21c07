using System.Buffers;
using System.IO.Pipelines;
using Kedge.Server.Forwarding;

namespace Kedge.Server.Tests.Forwarding;

/// <summary>
/// The two streams that let YARP forward through Grpc.AspNetCore.Web's pipes, against pipes with the same demands as
/// the middleware's base64 pipes: a reader that must be advanced past all it returned, a writer that hands out only the
/// memory asked for.
/// </summary>
public sealed class GrpcWebStreamsTests
{
    [Fact]
    public async Task RequestStream_OneByteReads_EveryByteInOrderAndEveryReadAdvancedWhole()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("first "u8.ToArray());
        await pipe.Writer.WriteAsync("second "u8.ToArray());
        await pipe.Writer.WriteAsync("third"u8.ToArray());
        await pipe.Writer.CompleteAsync();
        var reader = new WholeAdvanceReader(pipe.Reader);
        using var stream = new GrpcWebRequestStream(reader);

        var received = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) is 1)
        {
            received.Add(one[0]);
        }

        Assert.Equal("first second third"u8.ToArray(), received.ToArray());
        Assert.True(reader.Reads > 0);
    }

    [Fact]
    public async Task RequestStream_EmptyCompletedBody_ReturnsZero()
    {
        var pipe = new Pipe();
        await pipe.Writer.CompleteAsync();
        using var stream = new GrpcWebRequestStream(new WholeAdvanceReader(pipe.Reader));

        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task ResponseStream_WriterWithSizedMemoryOnly_EveryWriteArrivesAndIsFlushed()
    {
        // No back-pressure: nothing reads until both writes are flushed.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writer = new SizedMemoryOnlyWriter(pipe.Writer);
        await using var stream = new GrpcWebResponseStream(writer);

        await stream.WriteAsync("hello "u8.ToArray());
        await stream.WriteAsync(new byte[70_000]);
        await pipe.Writer.CompleteAsync();

        var result = await pipe.Reader.ReadAtLeastAsync(6 + 70_000);
        Assert.Equal(6 + 70_000, result.Buffer.Length);
        Assert.Equal("hello "u8.ToArray(), result.Buffer.Slice(0, 6).ToArray());
        Assert.Equal(2, writer.Flushes);
    }

    /// <summary>Refuses an advance that stops short of what it returned (Grpc.AspNetCore.Web's base64 reader breaks on one).</summary>
    private sealed class WholeAdvanceReader(PipeReader inner) : PipeReader
    {
        private SequencePosition _end;

        public int Reads { get; private set; }

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            _end = result.Buffer.End;
            Reads++;
            return result;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Assert.True(consumed.Equals(_end), "advanced short of the end of what was read");
            inner.AdvanceTo(consumed, examined);
        }

        public override bool TryRead(out ReadResult result) => throw new NotSupportedException();

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    /// <summary>Hands out no memory unless a size is asked for (as Grpc.AspNetCore.Web's base64 writer), and counts flushes.</summary>
    private sealed class SizedMemoryOnlyWriter(PipeWriter inner) : PipeWriter
    {
        public int Flushes { get; private set; }

        public override Memory<byte> GetMemory(int sizeHint = 0) => sizeHint == 0 ? Memory<byte>.Empty : inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Flushes++;
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
