using System.Net;
using Kedge.Common;

namespace Kedge.Client.Tunnels;

/// <summary>
/// A tunnel was not opened: the target is not a kedge destination, or kedge refused the tunnel (then
/// <see cref="KedgeError"/> says why, with kedge's <c>X-Kedge-Error-Type</c>). Connection and TLS failures on the way to
/// kedge are not this type: they surface as the <see cref="HttpRequestException"/> the send failed with.
/// </summary>
public sealed class KedgeTunnelException : HttpRequestException
{
    /// <summary>Creates the exception for a tunnel kedge refused.</summary>
    /// <param name="target">The tunnel's destination, <c>host:port</c>.</param>
    /// <param name="message">What failed, for whom.</param>
    /// <param name="kedgeError">Kedge's answer, or <see langword="null"/> when kedge was not asked.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public KedgeTunnelException(string target, string message, KedgeError? kedgeError, Exception? innerException = null)
        : base(kedgeError is null ? HttpRequestError.Unknown : HttpRequestError.ProxyTunnelError, message, innerException, kedgeError?.StatusCode)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
        KedgeError = kedgeError;
    }

    /// <summary>The tunnel's destination as kedge was asked for it, <c>host:port</c>.</summary>
    public string Target { get; }

    /// <summary>
    /// Kedge's refusal (status, <c>X-Kedge-Error</c>, <c>X-Kedge-Error-Type</c>), or <see langword="null"/> when the tunnel
    /// was refused before anything was sent (the target is not a kedge destination, or could not be mapped).
    /// </summary>
    public KedgeError? KedgeError { get; }

    /// <summary>
    /// The kind of kedge's refusal from the shared vocabulary (<see cref="KedgeErrorKind.Forbidden"/>,
    /// <see cref="KedgeErrorKind.NoRoute"/>, …), or <see langword="null"/> when kedge sent no type or one this version does
    /// not know, or was not asked.
    /// </summary>
    public KedgeErrorKind? ErrorKind => KedgeErrorKind.Find(KedgeError?.Type);
}
