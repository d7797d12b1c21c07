namespace Kedge.Server.Tunnels;

/// <summary>
/// Marks a request made from an HTTP/1.1 CONNECT head that <see cref="Http1TunnelEntry"/> took off the connection:
/// the connection itself is <see cref="Connection"/>, and <see cref="TunnelProxy"/> writes the 200 there itself.
/// </summary>
internal sealed class Http1TunnelFeature(Stream connection)
{
    /// <summary>The caller's connection, as a duplex stream after the CONNECT head.</summary>
    public Stream Connection { get; } = connection;

    /// <summary>Whether the 200 was written: the refusal kedge wrote into the request's response must not follow it.</summary>
    public bool Established { get; set; }
}
