using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Kedge.Common.Http.Tunnels;

/// <summary>
/// Recognises and parses an HTTP/1.1 <c>CONNECT</c> request head (RFC 9112 §3 and §5, RFC 9110 §9.3.6), strictly:
/// CRLF line ends only, no obs-fold, token field names, no control characters in values, a version of HTTP/1.0 or
/// HTTP/1.1, and no content (<c>Transfer-Encoding</c> or a non-zero <c>Content-Length</c> on a CONNECT is a smuggling
/// attempt, not a tunnel).
/// </summary>
internal static class Http1ConnectHeadParser
{
    private static ReadOnlySpan<byte> ConnectPrefix => "CONNECT "u8;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>Whether <paramref name="buffer"/>, the first bytes of a connection, starts a CONNECT request.</summary>
    public static Http1ConnectPeek Peek(ReadOnlySequence<byte> buffer)
    {
        Span<byte> first = stackalloc byte[8];
        var length = (int)Math.Min(buffer.Length, first.Length);
        buffer.Slice(0, length).CopyTo(first);
        if (!ConnectPrefix.StartsWith(first[..length]))
        {
            return Http1ConnectPeek.NotConnect;
        }

        return length == ConnectPrefix.Length ? Http1ConnectPeek.Connect : Http1ConnectPeek.NeedMore;
    }

    /// <summary>
    /// The position just after the blank line that ends the head in <paramref name="buffer"/>, or
    /// <see langword="null"/> when the head is not complete yet.
    /// </summary>
    public static SequencePosition? FindEndOfHead(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, EndOfHead, advancePastDelimiter: true) ? reader.Position : null;
    }

    /// <summary>Parses a complete head, blank line included.</summary>
    /// <param name="head">The bytes from the start of the request line to the blank line, inclusive.</param>
    /// <param name="parsed">The head, when it is valid.</param>
    /// <returns>Whether the head is a valid CONNECT request head.</returns>
    public static bool TryParse(ReadOnlySpan<byte> head, [NotNullWhen(true)] out Http1ConnectHead? parsed)
    {
        parsed = null;
        if (!head.EndsWith(EndOfHead) || !head.StartsWith(ConnectPrefix))
        {
            return false;
        }

        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = head[..lineEnd];
        var rest = requestLine[ConnectPrefix.Length..];
        var space = rest.IndexOf((byte)' ');
        if (space <= 0)
        {
            return false;
        }

        var target = rest[..space];
        var version = rest[(space + 1)..];
        if (!IsVisibleAscii(target) || !(version.SequenceEqual("HTTP/1.1"u8) || version.SequenceEqual("HTTP/1.0"u8)))
        {
            return false;
        }

        var headers = new List<KeyValuePair<string, string>>();
        var fields = head[(lineEnd + 2)..^2];
        while (!fields.IsEmpty)
        {
            var end = fields.IndexOf("\r\n"u8);
            if (end < 0 || !TryParseField(fields[..end], out var field))
            {
                return false;
            }

            headers.Add(field);
            fields = fields[(end + 2)..];
        }

        parsed = new Http1ConnectHead(Encoding.ASCII.GetString(target), Encoding.ASCII.GetString(version), headers);
        return !HasContent(parsed);
    }

    private static bool HasContent(Http1ConnectHead head)
        => head.Count("Transfer-Encoding") > 0
            || head.Count("Content-Length") > 1
            || head.Get("Content-Length") is { } length && !string.Equals(length, "0", StringComparison.Ordinal);

    private static bool TryParseField(ReadOnlySpan<byte> line, out KeyValuePair<string, string> field)
    {
        field = default;
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        var name = line[..colon];
        foreach (var b in name)
        {
            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            // field-vchar / obs-text, and SP / HTAB inside the value; CR, LF, NUL and other controls are refused.
            if (b is < 0x20 and not (byte)'\t' || b == 0x7F)
            {
                return false;
            }
        }

        field = new KeyValuePair<string, string>(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
        return true;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTokenChar(byte b)
        => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            || "!#$%&'*+-.^_`|~"u8.Contains(b);
}
