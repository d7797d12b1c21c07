using System.Buffers;

namespace Kedge.Server.Routing;

/// <summary>
/// Path forms that backends resolve differently from kedge. Kestrel decodes the path (except <c>%2F</c>) and resolves dot
/// segments, and YARP forwards that path re-encoded; but a backend that strips <c>;</c> path parameters (Tomcat, Jetty,
/// Spring) reads <c>/v1/..;/admin</c> as <c>/admin</c>, one that treats <c>\</c> or <c>%2F</c> as a separator sees segments
/// kedge did not, and an encoded dot segment (<c>/v1/%2e%2e/admin</c>) routes on a path that does not start the way it is
/// written. Routes with path rules refuse these forms unless they set <c>AllowAmbiguousPaths</c>.
/// </summary>
internal static class RequestPath
{
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(";\\%");

    /// <summary>What makes <paramref name="rawPath"/> (the path as the caller wrote it, no query) ambiguous, or <see langword="null"/>.</summary>
    public static string? Ambiguity(ReadOnlySpan<char> rawPath)
    {
        if (!rawPath.ContainsAny(Suspicious))
        {
            return null;
        }

        // Kestrel decodes %3B and YARP forwards it as a raw ';', so both spellings reach the backend as a parameter.
        if (rawPath.Contains(';') || rawPath.Contains("%3b", StringComparison.OrdinalIgnoreCase))
        {
            return "a ';' path parameter";
        }

        if (rawPath.Contains('\\') || rawPath.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return "a backslash (raw or %5C)";
        }

        if (rawPath.Contains("%2f", StringComparison.OrdinalIgnoreCase))
        {
            return "an encoded slash (%2F)";
        }

        foreach (var range in rawPath.Split('/'))
        {
            if (IsEncodedDotSegment(rawPath[range]))
            {
                return "an encoded dot segment (%2E)";
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="path"/> (Kestrel's decoded path) as the most lenient backend resolves it: <c>%2F</c> and <c>\</c> as
    /// separators, <c>;</c> parameters dropped from each segment, repeated slashes merged, then dot segments resolved.
    /// </summary>
    public static string Lenient(string path)
    {
        var separators = path.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).Replace('\\', '/');
        var segments = new List<string>();
        foreach (var segment in separators.Split('/'))
        {
            var semicolon = segment.IndexOf(';', StringComparison.Ordinal);
            var kept = semicolon < 0 ? segment : segment[..semicolon];
            if (kept.Length > 0)
            {
                segments.Add(kept);
            }
        }

        var trailing = separators.EndsWith('/') && segments.Count > 0 ? "/" : string.Empty;
        return RemoveDotSegments("/" + string.Join('/', segments) + trailing);
    }

    /// <summary>RFC 3986 §5.2.4.</summary>
    public static string RemoveDotSegments(string path)
    {
        var output = new List<string>();
        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }
            }
            else if (segment != ".")
            {
                output.Add(segment);
                continue;
            }

            if (i == segments.Length - 1)
            {
                output.Add(string.Empty); // "/a/.." ends with a slash
            }
        }

        return "/" + string.Join('/', output);
    }

    /// <summary>A segment that is "." or ".." only once decoded (<c>%2e</c>, <c>.%2E</c>, ...).</summary>
    private static bool IsEncodedDotSegment(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        var encoded = false;
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '.')
            {
                dots++;
            }
            else if (segment[i] == '%' && i + 2 < segment.Length && segment[i + 1] == '2' && (segment[i + 2] | 0x20) == 'e')
            {
                dots++;
                encoded = true;
                i += 2;
            }
            else
            {
                return false;
            }
        }

        return encoded && dots is 1 or 2;
    }
}
