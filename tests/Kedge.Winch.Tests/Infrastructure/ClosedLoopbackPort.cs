using System.Net;
using System.Net.Sockets;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// A loopback port nothing accepts on, held for the test's lifetime: bound (127.0.0.1 and, when the machine has IPv6,
/// ::1 on the same number) but never listening, so Linux refuses every connection at once and no other test can take it.
/// <c>localhost:Port</c> therefore fails on loopback without asking any DNS server.
/// </summary>
public sealed class ClosedLoopbackPort : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public ClosedLoopbackPort()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            v4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            if (!Socket.OSSupportsIPv6)
            {
                _sockets.Add(v4);
                Port = port;
                return;
            }

            var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                v6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
                _sockets.Add(v4);
                _sockets.Add(v6);
                Port = port;
                return;
            }
            catch (SocketException)
            {
                // ::1 has that number in use: try another.
                v6.Dispose();
                v4.Dispose();
            }
        }

        throw new InvalidOperationException("no loopback port was free on both 127.0.0.1 and ::1 in 20 tries");
    }

    public int Port { get; }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
