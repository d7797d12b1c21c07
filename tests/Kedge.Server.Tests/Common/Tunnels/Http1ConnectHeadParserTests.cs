using System.Buffers;
using System.Text;
using Kedge.Common.Http.Tunnels;

namespace Kedge.Server.Tests.Common.Tunnels;

public sealed class Http1ConnectHeadParserTests
{
    [Theory]
    [InlineData("", "NeedMore")]
    [InlineData("C", "NeedMore")]
    [InlineData("CONNECT", "NeedMore")]
    [InlineData("CONNECT ", "Connect")]
    [InlineData("CONNECT a:1 HTTP/1.1", "Connect")]
    [InlineData("connect ", "NotConnect")]
    [InlineData("CONNEX", "NotConnect")]
    [InlineData("GET / HTTP/1.1", "NotConnect")]
    [InlineData("PRI * HTTP/2.0", "NotConnect")]
    public void Peek_FirstBytes_SaysWhetherConnect(string first, string expected)
        => Assert.Equal(Enum.Parse<Http1ConnectPeek>(expected), Http1ConnectHeadParser.Peek(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(first))));

    [Fact]
    public void FindEndOfHead_SplitAcrossSegments_FindsBlankLine()
    {
        var first = new Segment(Encoding.ASCII.GetBytes("CONNECT a:1 HTTP/1.1\r\n\r"));
        var last = first.Append(Encoding.ASCII.GetBytes("\nrest"));
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        var end = Http1ConnectHeadParser.FindEndOfHead(buffer);

        Assert.NotNull(end);
        Assert.Equal("rest", Encoding.ASCII.GetString(buffer.Slice(end.Value).ToArray()));
    }

    [Fact]
    public void FindEndOfHead_Incomplete_ReturnsNull()
        => Assert.Null(Http1ConnectHeadParser.FindEndOfHead(new ReadOnlySequence<byte>("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n"u8.ToArray())));

    [Fact]
    public void TryParse_ValidHead_ReturnsTargetVersionAndHeaders()
    {
        var ok = Http1ConnectHeadParser.TryParse(
            "CONNECT db.svc.cluster-b.kedge:5432 HTTP/1.1\r\nHost: db.svc.cluster-b.kedge:5432\r\nProxy-Authorization:  Bearer abc \r\nX-Empty:\r\n\r\n"u8,
            out var head);

        Assert.True(ok);
        Assert.Equal("db.svc.cluster-b.kedge:5432", head!.Target);
        Assert.Equal("HTTP/1.1", head.Version);
        Assert.Equal("Bearer abc", head.Get("proxy-authorization"));
        Assert.Equal(string.Empty, head.Get("X-Empty"));
        Assert.Null(head.Get("Authorization"));
        Assert.Equal(3, head.Headers.Count);
    }

    [Fact]
    public void TryParse_Http10NoHeaders_Accepted()
    {
        Assert.True(Http1ConnectHeadParser.TryParse("CONNECT [::1]:443 HTTP/1.0\r\n\r\n"u8, out var head));
        Assert.Equal("[::1]:443", head!.Target);
        Assert.Empty(head.Headers);
    }

    [Fact]
    public void TryParse_ContentLengthZero_Accepted()
        => Assert.True(Http1ConnectHeadParser.TryParse("CONNECT a:1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"u8, out _));

    [Theory]
    [InlineData("CONNECT a:1 HTTP/2.0\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1 \r\n\r\n")]
    [InlineData("CONNECT  a:1 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT a:1\r\n\r\n")]
    [InlineData("CONNECT a:1 http/1.1\r\n\r\n")]
    [InlineData("CONNECT a\u00e9:1 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nHost: a\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nHost : a\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\n: a\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nNoColon\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nX-Bad: a\u0000b\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nX-Bad: a\rb\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nContent-Length: 5\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("CONNECT a:1 HTTP/1.1\r\nHost: a")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    public void TryParse_InvalidHead_Refused(string head)
        => Assert.False(Http1ConnectHeadParser.TryParse(Encoding.Latin1.GetBytes(head), out _));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes) => Memory = bytes;

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
