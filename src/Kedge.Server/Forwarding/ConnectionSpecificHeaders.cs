using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Forwarding;

/// <summary>
/// RFC 9113 §8.2.2: an HTTP/2 (and HTTP/3) request carrying a connection-specific header is malformed. Kestrel refuses
/// <c>connection</c> and a <c>te</c> other than <c>trailers</c> itself, but lets <c>keep-alive</c>,
/// <c>proxy-connection</c>, <c>transfer-encoding</c> and <c>upgrade</c> through; kedge refuses those.
/// </summary>
internal static class ConnectionSpecificHeaders
{
    private static readonly string[] KestrelLetsThrough = ["Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"];

    /// <summary>The first connection-specific header of an HTTP/2 or HTTP/3 request, or null.</summary>
    public static string? Find(HttpRequest request)
    {
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            return null;
        }

        var headers = request.Headers;
        foreach (var name in KestrelLetsThrough)
        {
            if (headers.ContainsKey(name))
            {
                return name;
            }
        }

        return null;
    }
}
