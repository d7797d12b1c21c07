namespace Kedge.Common.Http.Tunnels;

/// <summary>
/// Answers a connection that started with <c>CONNECT </c> but sent no usable head (<paramref name="error"/> says why,
/// and which status fits). The connection is closed when it returns.
/// </summary>
/// <typeparam name="TContext">The product's connection.</typeparam>
/// <param name="error">What was wrong with the head.</param>
/// <param name="context">The connection.</param>
/// <param name="stream">The connection as a duplex byte stream.</param>
/// <param name="cancellationToken">Cancelled when the connection is closed or the server stops.</param>
internal delegate Task Http1ConnectRefusalHandler<in TContext>(Http1ConnectHeadError error, TContext context, Stream stream, CancellationToken cancellationToken);
