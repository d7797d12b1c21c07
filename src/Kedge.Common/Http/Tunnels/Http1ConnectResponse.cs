using System.Text;

namespace Kedge.Common.Http.Tunnels;

/// <summary>Writes the HTTP/1.1 answer to a CONNECT, on a connection that is no longer Kestrel's.</summary>
internal static class Http1ConnectResponse
{
    /// <summary>
    /// Writes the 200 that opens the tunnel: no <c>Content-Length</c> and no <c>Transfer-Encoding</c> (RFC 9110
    /// §9.3.6: a 2xx to CONNECT has none), then the tunnel's bytes follow.
    /// </summary>
    public static Task WriteEstablishedAsync(Stream stream, CancellationToken cancellationToken)
        => WriteAsync(stream, "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), cancellationToken);

    /// <summary>
    /// Writes a refusal: the status, <paramref name="headers"/>, a <c>text/plain</c> body and <c>Connection: close</c>
    /// (a refused CONNECT connection is always closed: the caller may already have sent tunnel bytes after the head).
    /// </summary>
    public static Task WriteRefusalAsync(Stream stream, int status, IEnumerable<KeyValuePair<string, string>> headers, string body, CancellationToken cancellationToken)
        => WriteAsync(stream, FormatRefusal(status, headers, body), cancellationToken);

    /// <summary>The bytes <see cref="WriteRefusalAsync"/> writes.</summary>
    public static byte[] FormatRefusal(int status, IEnumerable<KeyValuePair<string, string>> headers, string body)
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrase(status)).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            // Header values may quote the caller's target; a control character (CR, LF) must not split the answer.
            head.Append(name).Append(": ");
            foreach (var c in value)
            {
                head.Append(char.IsControl(c) ? ' ' : c);
            }

            head.Append("\r\n");
        }

        head.Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(content.Length).Append("\r\n")
            .Append("Connection: close\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. content];
    }

    private static async Task WriteAsync(Stream stream, byte[] bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
