using System.Text.Json;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>An HTTP/1.1 response as <see cref="Server.RawTlsClient"/> read it: status, headers, body.</summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string Text)
{
    public string? KedgeError => Headers.GetValueOrDefault("X-Kedge-Error");

    public string? KedgeErrorType => Headers.GetValueOrDefault("X-Kedge-Error-Type");

    /// <summary>What the echo backend reports, or <see langword="null"/> when the response did not come from it.</summary>
    public EchoReport? Echo => Status == 200 && Body.StartsWith('{') ? JsonSerializer.Deserialize<EchoReport>(Body, LoopbackServer.JsonOptions) : null;

    public static RawHttpResponse Parse(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = end < 0 ? text : text[..end];
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ') is [_, var code, ..] && int.TryParse(code, out var parsed) ? parsed : 0;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        var body = end < 0 ? string.Empty : text[(end + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new RawHttpResponse(status, headers, body, text);
    }

    private static string Dechunk(string chunked)
    {
        var result = new System.Text.StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(chunked[position..lineEnd].Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
