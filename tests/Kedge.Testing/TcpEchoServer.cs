using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kedge.Testing;

/// <summary>
/// A loopback TCP server (port chosen by the OS) that sends back every byte it receives, for tunnel tests. It counts
/// connections and bytes and keeps the first <see cref="KeptBytesPerConnection"/> bytes of each connection, so a test
/// can check what reached the destination (and that proxy credentials did not).
/// </summary>
public sealed class TcpEchoServer : IAsyncDisposable
{
    /// <summary>How many bytes of each connection are kept for <see cref="Received"/>.</summary>
    public const int KeptBytesPerConnection = 64 * 1024;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly ConcurrentQueue<ConnectionRecord> _records = new();
    private readonly Task _acceptLoop;
    private long _bytesEchoed;
    private int _connectionCount;
    private int _activeConnections;

    private TcpEchoServer(IPAddress address)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The port the server listens on.</summary>
    public int Port { get; }

    /// <summary>How many connections were accepted.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>How many connections are open now.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>How many bytes were received (and sent back) over all connections.</summary>
    public long BytesEchoed => Interlocked.Read(ref _bytesEchoed);

    /// <summary>The first bytes of each connection, in accept order.</summary>
    public IReadOnlyList<byte[]> Received => [.. _records.Select(record => record.Kept())];

    /// <summary>Starts a server on <paramref name="address"/> (default 127.0.0.1), port 0.</summary>
    public static TcpEchoServer Start(IPAddress? address = null) => new(address ?? IPAddress.Loopback);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections.Values);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        var next = 0;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connectionCount);
            var record = new ConnectionRecord();
            _records.Enqueue(record);
            var id = next++;
            _connections[id] = EchoAsync(socket, record, id);
        }
    }

    private async Task EchoAsync(Socket socket, ConnectionRecord record, int id)
    {
        await Task.Yield();
        Interlocked.Increment(ref _activeConnections);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0)
                {
                    // The peer half-closed: answer in kind once everything is echoed.
                    socket.Shutdown(SocketShutdown.Send);
                    break;
                }

                record.Keep(buffer.AsSpan(0, read));
                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
                Interlocked.Add(ref _bytesEchoed, read);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Reset by the peer, or the server is stopping.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _activeConnections);
            _connections.TryRemove(id, out _);
        }
    }

    private sealed class ConnectionRecord
    {
        private readonly Lock _gate = new();
        private readonly MemoryStream _kept = new();

        public void Keep(ReadOnlySpan<byte> bytes)
        {
            lock (_gate)
            {
                var room = KeptBytesPerConnection - (int)_kept.Length;
                if (room > 0)
                {
                    _kept.Write(bytes[..Math.Min(room, bytes.Length)]);
                }
            }
        }

        public byte[] Kept()
        {
            lock (_gate)
            {
                return _kept.ToArray();
            }
        }
    }
}
