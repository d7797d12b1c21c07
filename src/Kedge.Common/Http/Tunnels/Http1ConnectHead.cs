namespace Kedge.Common.Http.Tunnels;

/// <summary>
/// The head of an HTTP/1.1 <c>CONNECT</c> request (RFC 9110 §9.3.6) as it arrived: the authority-form target, the
/// version and the header fields in order. The target is not checked beyond "not empty, no whitespace": what a valid
/// destination is belongs to the product (kedge refuses IP literals, winch unmapped names).
/// </summary>
/// <param name="Target">The request target, e.g. <c>db.svc.cluster-b.kedge:5432</c>.</param>
/// <param name="Version">The HTTP version of the request line: <c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</param>
/// <param name="Headers">The header fields in arrival order; names as sent, values without surrounding whitespace.</param>
internal sealed record Http1ConnectHead(string Target, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or <see langword="null"/>.</summary>
    public string? Get(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>How many times header <paramref name="name"/> occurs (case-insensitive).</summary>
    public int Count(string name)
    {
        var count = 0;
        foreach (var (key, _) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }
}
