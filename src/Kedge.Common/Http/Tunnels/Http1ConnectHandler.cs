namespace Kedge.Common.Http.Tunnels;

/// <summary>
/// Answers a parsed CONNECT: refuses it (an answer written with <see cref="Http1ConnectResponse"/>, then return: the
/// connection is closed) or writes a 200 and carries the tunnel on <paramref name="stream"/> until it ends.
/// </summary>
/// <typeparam name="TContext">The product's connection (Kestrel's <c>ConnectionContext</c>: its features hold the TLS state).</typeparam>
/// <param name="head">The request head.</param>
/// <param name="context">The connection.</param>
/// <param name="stream">The connection as a duplex byte stream; bytes the caller sent after the head are its first bytes.</param>
/// <param name="cancellationToken">Cancelled when the connection is closed or the server stops.</param>
internal delegate Task Http1ConnectHandler<in TContext>(Http1ConnectHead head, TContext context, Stream stream, CancellationToken cancellationToken);
