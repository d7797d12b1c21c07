using System.Globalization;
using System.Text;
using System.Text.Json;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Hostile;

/// <summary>One HTTP/1.1 response read off a raw connection: status, headers and the (de-chunked) body.</summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Parses the first response in <paramref name="raw"/>; <see cref="Status"/> is 0 when kedge closed without answering.</summary>
    public static RawHttpResponse Parse(string raw)
    {
        var headEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!raw.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || headEnd < 0)
        {
            return new RawHttpResponse(0, new Dictionary<string, string>(), raw);
        }

        var lines = raw[..headEnd].Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = raw[(headEnd + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        else if (headers.TryGetValue("Content-Length", out var length))
        {
            body = body[..int.Parse(length, CultureInfo.InvariantCulture)];
        }

        return new RawHttpResponse(int.Parse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture), headers, body);
    }

    /// <summary>What the echo backend reported (the response must be its 200).</summary>
    public EchoReport Echo()
    {
        Assert.True(Status == 200, $"expected the echo backend's 200, got {Status}: {Body}");
        return JsonSerializer.Deserialize<EchoReport>(Body, LoopbackServer.JsonOptions)!;
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked.AsSpan(at, lineEnd - at), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
