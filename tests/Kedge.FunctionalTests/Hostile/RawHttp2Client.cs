using System.Buffers.Binary;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kedge.FunctionalTests.Server;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// A minimal HTTP/2 client over mTLS (ALPN h2) that writes frames as given, valid or not: for requests no HTTP/2 library
/// sends (connection-specific headers, upper-case names, broken pseudo-headers, streams reset at once). Header blocks
/// use HPACK literals without indexing and no Huffman coding, so any name and value go on the wire as written.
/// </summary>
internal sealed class RawHttp2Client : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8;
    public const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4;
    public const uint ProtocolError = 0x1, Cancel = 0x8, EnhanceYourCalm = 0xb;

    private readonly SslStream _ssl;
    private readonly byte[] _header = new byte[9];

    private RawHttp2Client(SslStream ssl)
    {
        _ssl = ssl;
    }

    /// <summary>Connects, sends the preface and an empty SETTINGS frame.</summary>
    public static async Task<RawHttp2Client> ConnectAsync(int port, X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        var ssl = await RawTlsClient.ConnectAsync(port, clientCertificate, ca, SslApplicationProtocol.Http2);
        var client = new RawHttp2Client(ssl);
        await ssl.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await client.WriteFrameAsync(Settings, 0, 0, []);
        return client;
    }

    /// <summary>A request's header fields in the order given: pseudo-headers first for a valid request.</summary>
    public static (string Name, string Value)[] Get(string authority, string path)
        => [(":method", "GET"), (":scheme", "https"), (":authority", authority), (":path", path)];

    public Task SendHeadersAsync(int streamId, IEnumerable<(string Name, string Value)> fields, bool endStream = true)
        => WriteFrameAsync(Headers, (byte)(EndHeaders | (endStream ? EndStream : 0)), streamId, Encode(fields));

    public Task SendRstStreamAsync(int streamId, uint errorCode)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, errorCode);
        return WriteFrameAsync(RstStream, 0, streamId, payload);
    }

    /// <summary>Writes one frame; several writes may be buffered by TLS, so floods cost few packets.</summary>
    public async Task WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await _ssl.WriteAsync(frame);
    }

    /// <summary>The next frame, or null when kedge closed the connection. SETTINGS and PING are acknowledged on the way.</summary>
    public async Task<Frame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _ssl.ReadExactlyAsync(_header, cancellationToken);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }

        var length = (_header[0] << 16) | (_header[1] << 8) | _header[2];
        var payload = new byte[length];
        try
        {
            await _ssl.ReadExactlyAsync(payload, cancellationToken);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }

        var frame = new Frame(_header[3], _header[4], BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(5)) & int.MaxValue, payload);
        try
        {
            if (frame.Type == Settings && (frame.Flags & Ack) == 0)
            {
                await WriteFrameAsync(Settings, Ack, 0, []);
            }
            else if (frame.Type == Ping && (frame.Flags & Ack) == 0)
            {
                await WriteFrameAsync(Ping, Ack, 0, payload);
            }
        }
        catch (IOException)
        {
            // Kedge already closed its side; the frames it sent before are still worth reading.
        }

        return frame;
    }

    /// <summary>
    /// Reads until kedge answers <paramref name="streamId"/>: its response HEADERS (the status), a RST_STREAM or a GOAWAY
    /// (the error code), or the connection's end.
    /// </summary>
    public async Task<StreamOutcome> ReadOutcomeAsync(int streamId, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await ReadFrameAsync(cancel.Token) is { } frame)
        {
            if (frame.Type == Headers && frame.StreamId == streamId)
            {
                return new StreamOutcome(Status(frame.Payload), null, null) { HeaderBlock = Encoding.Latin1.GetString(frame.Payload) };
            }

            if (frame.Type == RstStream && frame.StreamId == streamId)
            {
                return new StreamOutcome(null, BinaryPrimitives.ReadUInt32BigEndian(frame.Payload), null);
            }

            if (frame.Type == GoAway)
            {
                return new StreamOutcome(null, null, BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4)));
            }
        }

        return new StreamOutcome(null, null, null);
    }

    public async ValueTask DisposeAsync() => await _ssl.DisposeAsync();

    private static byte[] Encode(IEnumerable<(string Name, string Value)> fields)
    {
        var block = new List<byte>();
        foreach (var (name, value) in fields)
        {
            block.Add(0x00); // literal header field without indexing, new name
            AddString(block, name);
            AddString(block, value);
        }

        return [.. block];
    }

    private static void AddString(List<byte> block, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        AddInteger(block, bytes.Length, prefixBits: 7, firstByte: 0x00); // H = 0: no Huffman coding
        block.AddRange(bytes);
    }

    // HPACK integer (RFC 7541 §5.1).
    private static void AddInteger(List<byte> block, int value, int prefixBits, byte firstByte)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(firstByte | value));
            return;
        }

        block.Add((byte)(firstByte | max));
        value -= max;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        block.Add((byte)value);
    }

    // The response's :status, which Kestrel sends first: an indexed static entry (200, 204, 206, 304, 400, 404, 500) or a
    // literal with the static :status name and a plain value.
    private static int Status(byte[] block)
    {
        int[] indexed = [200, 204, 206, 304, 400, 404, 500];
        var first = block[0];
        if ((first & 0x80) != 0)
        {
            return indexed[(first & 0x7F) - 8];
        }

        var valueLength = block[1] & 0x7F;
        return int.Parse(Encoding.ASCII.GetString(block, 2, valueLength), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>One HTTP/2 frame.</summary>
    public sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload);

    /// <summary>How kedge answered a stream: a status, a stream reset, or a connection error (GOAWAY).</summary>
    public sealed record StreamOutcome(int? Status, uint? ResetCode, uint? GoAwayCode)
    {
        /// <summary>Refused as a malformed request (RFC 9113 §8.1.1): PROTOCOL_ERROR on the stream or the connection.</summary>
        public bool IsProtocolError => ResetCode == ProtocolError || GoAwayCode == ProtocolError;

        /// <summary>
        /// The response's header block as text, to search for values: Kestrel writes them as plain literals (no Huffman
        /// coding), so <c>grpc-status</c> and <c>grpc-message</c> of a trailers-only answer can be read without a decoder.
        /// </summary>
        public string HeaderBlock { get; init; } = string.Empty;

        public override string ToString() => $"status {Status}, RST_STREAM {ResetCode}, GOAWAY {GoAwayCode}";
    }
}
