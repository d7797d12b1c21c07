namespace Kedge.Client.Http;

/// <summary>
/// The kedge completed the TLS handshake without HTTP/2 (no ALPN <c>h2</c>) for a request that asked for HTTP/2.
/// Nothing was sent, so the request can be sent again as HTTP/1.1 (winch does).
/// </summary>
public sealed class KedgeHttp2NotNegotiatedException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which kedge, and what the caller needs instead.</param>
    public KedgeHttp2NotNegotiatedException(string message)
        : base(HttpRequestError.SecureConnectionError, message)
    {
    }

    /// <summary>Whether <paramref name="exception"/> or one of its inner exceptions is this exception.</summary>
    /// <param name="exception">The failure of a send; may be null.</param>
    /// <returns>True when kedge refused HTTP/2 and nothing was sent.</returns>
    public static bool IsIn(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is KedgeHttp2NotNegotiatedException)
            {
                return true;
            }
        }

        return false;
    }
}
