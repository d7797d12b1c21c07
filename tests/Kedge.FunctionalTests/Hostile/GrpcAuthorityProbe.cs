using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// Sends one gRPC call's HEADERS frame over HTTP/2 (mTLS, ALPN h2) with an <c>:authority</c> HttpClient refuses to send
/// (<c>name:65536</c>), and returns the response header block as text, or <c>"RST_STREAM"</c>. The block is read without
/// an HPACK decoder: Kestrel writes header values as plain literals, so the values can be searched as text.
/// </summary>
internal static class GrpcAuthorityProbe
{
    private const byte Headers = 0x1;
    private const byte RstStream = 0x3;
    private const byte Settings = 0x4;
    private const byte GoAway = 0x7;
    private const byte Continuation = 0x9;

    public static async Task<string> SendAsync(int port, string authority, X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var ssl = new SslStream(tcp.GetStream());
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(ca);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            CertificateChainPolicy = policy,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
        });

        var block = new List<byte> { 0x83, 0x87 }; // :method POST, :scheme https (static table)
        Literal(block, 0x04, null, "/kedge.testing.Greeter/SayHello"); // :path
        Literal(block, 0x01, null, authority); // :authority
        Literal(block, 0x0F, null, "application/grpc", extraIndex: 16); // content-type (static index 31)
        Literal(block, 0x00, "te", "trailers");
        await ssl.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await WriteFrameAsync(ssl, Settings, 0, 0, []);
        await WriteFrameAsync(ssl, Headers, 0x1 | 0x4, 1, [.. block]); // END_STREAM | END_HEADERS

        var received = new List<byte>();
        while (true)
        {
            var header = new byte[9];
            await ssl.ReadExactlyAsync(header);
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var payload = new byte[length];
            await ssl.ReadExactlyAsync(payload);
            var stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
            switch (header[3])
            {
                case Settings when (header[4] & 0x1) == 0:
                    await WriteFrameAsync(ssl, Settings, 0x1, 0, []);
                    break;
                case RstStream when stream == 1:
                    return "RST_STREAM";
                case GoAway:
                    return "GOAWAY";
                case Headers or Continuation when stream == 1:
                    received.AddRange(payload);
                    if ((header[4] & 0x4) != 0)
                    {
                        return Encoding.Latin1.GetString([.. received]);
                    }

                    break;
            }
        }
    }

    /// <summary>A literal header field without indexing: an indexed name (4-bit prefix) or a new name, then the value.</summary>
    private static void Literal(List<byte> block, byte prefix, string? name, string value, int extraIndex = -1)
    {
        block.Add(prefix);
        if (extraIndex >= 0)
        {
            block.Add((byte)extraIndex);
        }

        if (name is not null)
        {
            block.Add((byte)name.Length);
            block.AddRange(Encoding.ASCII.GetBytes(name));
        }

        block.Add((byte)value.Length);
        block.AddRange(Encoding.ASCII.GetBytes(value));
    }

    private static async Task WriteFrameAsync(Stream stream, byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame);
        await stream.FlushAsync();
    }
}
