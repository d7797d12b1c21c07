using System.Globalization;
using System.Text;
using System.Text.Json;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>
/// One HTTP/1.1 response read off a raw connection (<see cref="Server.RawTlsClient"/>): status, headers, the de-chunked
/// body, and the raw text for failure messages.
/// </summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string Text)
{
    public string? KedgeError => Headers.GetValueOrDefault("X-Kedge-Error");

    public string? KedgeErrorType => Headers.GetValueOrDefault("X-Kedge-Error-Type");

    /// <summary>What the echo backend reports, or <see langword="null"/> when the response did not come from it.</summary>
    public EchoReport? Echo => Status == 200 && Body.StartsWith('{') ? JsonSerializer.Deserialize<EchoReport>(Body, LoopbackServer.JsonOptions) : null;

    /// <summary>What the echo backend reported; fails the test unless the response is its 200.</summary>
    public EchoReport ExpectEcho()
    {
        Assert.True(Status == 200, $"expected the echo backend's 200, got {Status}: {Text}");
        return Echo!;
    }

    /// <summary>Parses the first response in <paramref name="raw"/>; <see cref="Status"/> is 0 when kedge closed without answering.</summary>
    public static RawHttpResponse Parse(string raw)
    {
        var headEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!raw.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || headEnd < 0)
        {
            return new RawHttpResponse(0, new Dictionary<string, string>(), raw, raw);
        }

        var lines = raw[..headEnd].Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        var body = raw[(headEnd + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        else if (headers.TryGetValue("Content-Length", out var length) && int.TryParse(length, CultureInfo.InvariantCulture, out var count) && count <= body.Length)
        {
            body = body[..count];
        }

        var status = int.TryParse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        return new RawHttpResponse(status, headers, body, raw);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0 || !int.TryParse(chunked.AsSpan(at, lineEnd - at).ToString().Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            result.Append(chunked, lineEnd + 2, Math.Min(size, chunked.Length - lineEnd - 2));
            at = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
