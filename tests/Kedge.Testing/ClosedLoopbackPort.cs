using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kedge.Testing;

/// <summary>
/// A loopback port nothing listens on, held for the test's lifetime: sockets bound to 127.0.0.1 and [::1] on the same
/// port but never listening, so no other test (or process) can take the port meanwhile, and Linux refuses every
/// connect to it, whichever address <c>localhost</c> gives.
/// </summary>
public sealed class ClosedLoopbackPort : IDisposable
{
    private static readonly ConcurrentBag<ClosedLoopbackPort> HeldForProcess = [];

    private readonly Socket _v4;
    private readonly Socket? _v6;

    public ClosedLoopbackPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var v4 = Bound(IPAddress.Loopback, 0);
            var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            if (!Socket.OSSupportsIPv6)
            {
                (_v4, Port) = (v4, port);
                return;
            }

            try
            {
                _v6 = Bound(IPAddress.IPv6Loopback, port);
                (_v4, Port) = (v4, port);
                return;
            }
            catch (SocketException) when (attempt < 20)
            {
                // The port is taken on [::1]: try another one.
                v4.Dispose();
            }
        }
    }

    /// <summary>The port (on 127.0.0.1 and [::1]).</summary>
    public int Port { get; }

    /// <summary>A closed port held until the test process ends, for a test with no place to dispose one.</summary>
    public static int HeldUntilExit()
    {
        var closed = new ClosedLoopbackPort();
        HeldForProcess.Add(closed);
        return closed.Port;
    }

    public void Dispose()
    {
        _v4.Dispose();
        _v6?.Dispose();
    }

    private static Socket Bound(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
