using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Kedge.Common.Http.Tunnels;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Common.Tunnels;

public sealed class Http1ConnectTunnelTests
{
    private readonly Pipe _fromCaller = new();
    private readonly Pipe _toCaller = new();
    private readonly FakeTimeProvider _time = new();
    private readonly List<Http1ConnectHead> _heads = [];
    private readonly List<Http1ConnectHeadError> _refusals = [];

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("CONNEX")]
    public async Task TryTakeAsync_NotConnect_HandsOverEveryByteUnexamined(string sent)
    {
        await WriteAsync(sent);

        Assert.False(await TryTakeAsync());

        // Nothing consumed and nothing examined: the next reader gets every byte at once, without waiting for more.
        var next = _fromCaller.Reader.ReadAsync();
        Assert.True(next.IsCompleted);
        Assert.Equal(sent, Encoding.ASCII.GetString((await next).Buffer.ToArray()));
        Assert.Empty(_heads);
        Assert.Empty(_refusals);
    }

    [Fact]
    public async Task TryTakeAsync_PrefixArrivesInPieces_WaitsThenDecides()
    {
        var taking = TryTakeAsync();
        await WriteAsync("CON");
        Assert.False(taking.IsCompleted);

        await WriteAsync("NECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");

        Assert.True(await taking);
        Assert.Equal("a.example:443", Assert.Single(_heads).Target);
    }

    [Fact]
    public async Task TryTakeAsync_PrefixThenCallerCloses_HandsOver()
    {
        await WriteAsync("CONN");
        await _fromCaller.Writer.CompleteAsync();

        Assert.False(await TryTakeAsync());
        Assert.Empty(_refusals);
    }

    [Fact]
    public async Task TryTakeAsync_Connect_HandlerGetsHeadAndDuplexStreamWithEarlyBytes()
    {
        string? firstRead = null;
        var tunnel = Tunnel(async (head, _, stream, ct) =>
        {
            _heads.Add(head);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, ct);
            firstRead = Encoding.ASCII.GetString(buffer, 0, read);
            await Http1ConnectResponse.WriteEstablishedAsync(stream, ct);
            await stream.WriteAsync("pong"u8.ToArray(), ct);
        });

        // The caller sends tunnel bytes right behind the head, without waiting for the 200.
        await WriteAsync("CONNECT db.svc:5432 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\nping");

        Assert.True(await tunnel.TryTakeAsync(Transport, "connection-1", CancellationToken.None));
        Assert.Equal("Basic eDp5", Assert.Single(_heads).Get("Proxy-Authorization"));
        Assert.Equal("ping", firstRead);
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\npong", await ReadAnswerAsync());
    }

    [Fact]
    public async Task TryTakeAsync_HeadLargerThanLimit_RefusedTooLarge()
    {
        await WriteAsync("CONNECT a:1 HTTP/1.1\r\nX-Big: " + new string('x', 200) + "\r\n\r\n");

        Assert.True(await TryTakeAsync(new Http1ConnectLimits { MaxHeadBytes = 100 }));

        Assert.Equal(Http1ConnectHeadError.TooLarge, Assert.Single(_refusals));
        Assert.Empty(_heads);
    }

    [Fact]
    public async Task TryTakeAsync_HeadExactlyAtLimit_Accepted()
    {
        var head = "CONNECT a:1 HTTP/1.1\r\n\r\n";
        await WriteAsync(head + "tail");

        Assert.True(await TryTakeAsync(new Http1ConnectLimits { MaxHeadBytes = head.Length }));

        Assert.Single(_heads);
        Assert.Empty(_refusals);
    }

    [Fact]
    public async Task TryTakeAsync_MalformedHead_RefusedMalformed()
    {
        await WriteAsync("CONNECT a:1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");

        Assert.True(await TryTakeAsync());

        Assert.Equal(Http1ConnectHeadError.Malformed, Assert.Single(_refusals));
    }

    [Fact]
    public async Task TryTakeAsync_CallerClosesMidHead_RefusedMalformed()
    {
        await WriteAsync("CONNECT a:1 HTTP/1.1\r\nHost: a");
        await _fromCaller.Writer.CompleteAsync();

        Assert.True(await TryTakeAsync());

        Assert.Equal(Http1ConnectHeadError.Malformed, Assert.Single(_refusals));
    }

    [Fact]
    public async Task TryTakeAsync_HeadNotCompleteInTime_RefusedTimeout()
    {
        await WriteAsync("CONNECT a:1 HTTP/1.1\r\n");
        var taking = TryTakeAsync(new Http1ConnectLimits { HeadTimeout = TimeSpan.FromSeconds(5) });
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(taking.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await taking);
        Assert.Equal(Http1ConnectHeadError.Timeout, Assert.Single(_refusals));
    }

    [Fact]
    public async Task TryTakeAsync_SilentConnection_ClosedAtHeadTimeoutWithoutAnswer()
    {
        var taking = TryTakeAsync(new Http1ConnectLimits { HeadTimeout = TimeSpan.FromSeconds(5) });

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(await taking);
        Assert.Empty(_refusals);
        Assert.Empty(_heads);
    }

    [Fact]
    public void FormatRefusal_HeaderValueWithLineBreak_CannotSplitTheAnswer()
    {
        var bytes = Http1ConnectResponse.FormatRefusal(403, [new("X-Kedge-Error", "a\r\nSet-Cookie: x")], "no");
        var text = Encoding.Latin1.GetString(bytes);

        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\nX-Kedge-Error: a  Set-Cookie: x\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("Content-Length: 2\r\nConnection: close\r\n\r\nno", text, StringComparison.Ordinal);
    }

    private IDuplexPipe Transport => new DuplexPipe(_fromCaller.Reader, _toCaller.Writer);

    private Task<bool> TryTakeAsync(Http1ConnectLimits? limits = null)
        => Tunnel(limits: limits).TryTakeAsync(Transport, "connection-1", CancellationToken.None);

    private Http1ConnectTunnel<string> Tunnel(Http1ConnectHandler<string>? onConnect = null, Http1ConnectLimits? limits = null)
        => new(
            onConnect ?? ((head, _, _, _) =>
            {
                _heads.Add(head);
                return Task.CompletedTask;
            }),
            (error, _, _, _) =>
            {
                _refusals.Add(error);
                return Task.CompletedTask;
            },
            limits ?? new Http1ConnectLimits(),
            _time);

    private async Task WriteAsync(string text) => await _fromCaller.Writer.WriteAsync(Encoding.Latin1.GetBytes(text));

    private async Task<string> ReadAnswerAsync()
    {
        await _toCaller.Writer.CompleteAsync();
        var answer = new StringBuilder();
        while (true)
        {
            var result = await _toCaller.Reader.ReadAsync();
            answer.Append(Encoding.Latin1.GetString(result.Buffer.ToArray()));
            _toCaller.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return answer.ToString();
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
