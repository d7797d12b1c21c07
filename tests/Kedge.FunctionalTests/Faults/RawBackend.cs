using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.FunctionalTests.Faults;

/// <summary>
/// A misbehaving backend on a raw loopback socket (no HTTP library would misbehave on purpose): it reads each request
/// in full — HTTP/1.1, or HTTP/2 frames (h2c with prior knowledge, or TLS with ALPN <c>h2</c>) — counts it, and then
/// does what <see cref="RawBackendBehavior"/> says. <see cref="RequestCount"/> is what the tests assert on: how many
/// times a request reached the backend.
/// </summary>
internal sealed class RawBackend : IAsyncDisposable
{
    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly RawBackendBehavior _behavior;
    private readonly bool _http2;
    private readonly X509Certificate2? _certificate;
    private readonly TimeSpan _delay;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _resetAllowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<Socket> _sockets = new();
    private readonly Task _acceptLoop;
    private int _requests;
    private int _abandoned;

    private RawBackend(RawBackendBehavior behavior, bool http2, X509Certificate2? certificate, TimeSpan delay)
    {
        _behavior = behavior;
        _http2 = http2;
        _certificate = certificate;
        _delay = delay;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Requests read in full (HTTP/1.1 request heads, HTTP/2 HEADERS frames that open a stream).</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>
    /// Requests the client gave up on while this backend hung: the HTTP/1.1 connection closed, or an HTTP/2 RST_STREAM.
    /// </summary>
    public int AbandonedCount => Volatile.Read(ref _abandoned);

    /// <summary>Lets <see cref="RawBackendBehavior.ResetMidBody"/> reset its connections (it holds them until then).</summary>
    public void AllowReset() => _resetAllowed.TrySetResult();

    /// <summary>TCP connections accepted.</summary>
    public int ConnectionCount => _sockets.Count;

    /// <param name="behavior">What to do after reading a request.</param>
    /// <param name="http2">Speak HTTP/2 (h2c without <paramref name="certificate"/>, else TLS offering only <c>h2</c>).</param>
    /// <param name="certificate">A server certificate for TLS; <see langword="null"/> for plain text.</param>
    /// <param name="delay">How long <see cref="RawBackendBehavior.ReadThenClose"/> waits before closing.</param>
    public static RawBackend Start(RawBackendBehavior behavior, bool http2 = false, X509Certificate2? certificate = null, TimeSpan delay = default)
        => new(behavior, http2, certificate, delay);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _sockets.Enqueue(socket);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _certificate,
                        ApplicationProtocols = [_http2 ? SslApplicationProtocol.Http2 : SslApplicationProtocol.Http11],
                    },
                    _stop.Token);
                stream = ssl;
            }

            if (_http2)
            {
                await ServeHttp2Async(socket, stream);
            }
            else
            {
                await ServeHttp1Async(socket, stream);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The peer went away or the backend was stopped: nothing to serve.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private async Task ServeHttp1Async(Socket socket, Stream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString([.. received.Take(headEnd)]);
        var bodyRead = received.Count - headEnd - 4;
        var contentLength = HeaderValue(head, "Content-Length") is { } length ? int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var chunked = HeaderValue(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
        while (chunked ? IndexOf(received, "\r\n0\r\n\r\n"u8) < 0 && IndexOf(received, "\n0\r\n\r\n"u8) < 0 : bodyRead < contentLength)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            received.AddRange(buffer.AsSpan(0, read));
            bodyRead += read;
        }

        Interlocked.Increment(ref _requests);
        switch (_behavior)
        {
            case RawBackendBehavior.ReadThenClose:
                await CloseAfterDelayAsync(socket);
                break;
            case RawBackendBehavior.Hang:
                try
                {
                    while (await stream.ReadAsync(buffer, _stop.Token) > 0)
                    {
                        // a client that gave up sends nothing more; it closes
                    }
                }
                catch (IOException)
                {
                    // reset: given up as well
                }

                Interlocked.Increment(ref _abandoned);
                break;
            case RawBackendBehavior.ResetMidBody:
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4096\r\n\r\n" + new string('x', 100)), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                await ResetWhenAllowedAsync(socket);
                break;
        }
    }

    private async Task ServeHttp2Async(Socket socket, Stream stream)
    {
        var preface = new byte[Http2Preface.Length];
        await stream.ReadExactlyAsync(preface, _stop.Token);
        if (!preface.AsSpan().SequenceEqual(Http2Preface))
        {
            return;
        }

        await WriteFrameAsync(stream, type: 0x4, flags: 0, streamId: 0, []); // our (empty) SETTINGS
        var header = new byte[9];
        while (true)
        {
            await stream.ReadExactlyAsync(header, _stop.Token);
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var (type, flags) = (header[3], header[4]);
            var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF);
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, _stop.Token);
            if (type == 0x4 && (flags & 0x1) == 0)
            {
                await WriteFrameAsync(stream, type: 0x4, flags: 0x1, streamId: 0, []); // SETTINGS ACK
                continue;
            }

            if (type == 0x1)
            {
                Interlocked.Increment(ref _requests);
            }
            else if (type == 0x3)
            {
                Interlocked.Increment(ref _abandoned); // RST_STREAM
            }

            var requestComplete = (type is 0x0 or 0x1) && (flags & 0x1) != 0; // END_STREAM on HEADERS or DATA
            if (!requestComplete)
            {
                continue;
            }

            switch (_behavior)
            {
                case RawBackendBehavior.ReadThenClose:
                    await CloseAfterDelayAsync(socket);
                    return;
                case RawBackendBehavior.Hang:
                    continue; // keep reading (and counting) but never answer
                case RawBackendBehavior.ResetMidBody:
                    await WriteFrameAsync(stream, type: 0x1, flags: 0x4, streamId, [0x88]); // HEADERS, END_HEADERS, ":status: 200" (static index 8)
                    await WriteFrameAsync(stream, type: 0x0, flags: 0, streamId, Encoding.ASCII.GetBytes(new string('x', 100))); // DATA, no END_STREAM
                    await ResetWhenAllowedAsync(socket);
                    return;
            }
        }
    }

    private async Task ResetWhenAllowedAsync(Socket socket)
    {
        // Held until the test has seen the answer start at the caller: on Linux a reset discards what the peer has not
        // read yet, which could otherwise be the status line itself.
        await _resetAllowed.Task.WaitAsync(_stop.Token);

        // Linger 0: close sends RST instead of FIN.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    private async Task CloseAfterDelayAsync(Socket socket)
    {
        if (_delay > TimeSpan.Zero)
        {
            await Task.Delay(_delay, _stop.Token);
        }

        // A graceful close (FIN), exactly what a backend that gives up without answering does.
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
    }

    private async Task WriteFrameAsync(Stream stream, byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame, _stop.Token);
        await stream.FlushAsync(_stop.Token);
    }

    private static string? HeaderValue(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> value)
        => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(value);
}
