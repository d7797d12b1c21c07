namespace Kedge.Common.Http.Tunnels;

/// <summary>Why a connection that started with <c>CONNECT </c> did not yield a usable request head.</summary>
internal enum Http1ConnectHeadError
{
    /// <summary>The head breaks HTTP/1.1's syntax, or carries content (<c>Transfer-Encoding</c>, a non-zero <c>Content-Length</c>). Answer 400.</summary>
    Malformed,

    /// <summary>The head is longer than <see cref="Http1ConnectLimits.MaxHeadBytes"/>. Answer 431.</summary>
    TooLarge,

    /// <summary>The head was not complete within <see cref="Http1ConnectLimits.HeadTimeout"/>. Answer 408.</summary>
    Timeout,
}
