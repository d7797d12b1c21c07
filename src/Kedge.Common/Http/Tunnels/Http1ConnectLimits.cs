namespace Kedge.Common.Http.Tunnels;

/// <summary>The limits of <see cref="Http1ConnectTunnel{TContext}"/> while it reads a request head.</summary>
internal sealed record Http1ConnectLimits
{
    /// <summary>
    /// 8 KiB. A CONNECT head has a short request line and a handful of fields (Host, Proxy-Authorization, User-Agent),
    /// so this is far below Kestrel's request line + headers default (8 KiB + 32 KiB) on purpose: the head is buffered
    /// before any authentication, so the limit bounds what an unauthenticated caller can make kedge hold.
    /// </summary>
    public const int DefaultMaxHeadBytes = 8 * 1024;

    /// <summary>30 s, Kestrel's default <c>RequestHeadersTimeout</c>.</summary>
    public static readonly TimeSpan DefaultHeadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest head accepted, request line and blank line included. Default <see cref="DefaultMaxHeadBytes"/>.</summary>
    public int MaxHeadBytes { get; init; } = DefaultMaxHeadBytes;

    /// <summary>
    /// How long the connection may take, from its start, to send a complete head. It also bounds the wait for the
    /// first bytes of a connection that turns out not to be a CONNECT: Kestrel's own timeouts only start once the
    /// connection is handed over. Default <see cref="DefaultHeadTimeout"/>.
    /// </summary>
    public TimeSpan HeadTimeout { get; init; } = DefaultHeadTimeout;
}
