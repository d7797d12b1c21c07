using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Routing;

/// <summary>What a request is for: host, port, path, and whether it came in absolute form (forward proxy).</summary>
internal readonly record struct RequestTarget(string Host, int Port, string Path, bool IsForwardProxy)
{
    /// <summary>For absolute-form requests: the target's authority as written (no default port added).</summary>
    public string? Authority { get; init; }

    /// <summary>
    /// Reads the target as Go kedge does: absolute-form requests (<c>GET http://svc:8080/x</c>) take the authority from the
    /// request target; origin-form requests from the Host header. A missing port counts as 80 (even over TLS, as Go kedge
    /// and the routes discovery generates expect), except that an absolute <c>https://</c> target counts as 443.
    /// </summary>
    public static RequestTarget From(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        var forward = !HttpMethods.IsConnect(context.Request.Method)
            && rawTarget.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(rawTarget, UriKind.Absolute, out _);
        if (forward && Uri.TryCreate(rawTarget, UriKind.Absolute, out var absolute))
        {
            // Match on the path that is forwarded (Kestrel's decoded, normalized Path), never on the raw one: otherwise
            // "/api/..%2Fadmin" would match an "/api/*" rule and reach "/admin".
            return new RequestTarget(absolute.IdnHost.Trim('[', ']'), absolute.Port, ForwardedPath(context), IsForwardProxy: true) { Authority = absolute.Authority };
        }

        var (host, port) = SplitAuthority(context.Request.Host.Value ?? string.Empty, defaultPort: 80);
        return new RequestTarget(host, port, ForwardedPath(context), IsForwardProxy: false);
    }

    /// <summary>
    /// The path as the backend will receive it: dot segments are resolved the way the outgoing URI resolves them, so
    /// a path rule sees the same path the backend does ("/api/../admin" is matched as "/admin").
    /// </summary>
    internal static string ForwardedPath(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (string.IsNullOrEmpty(path))
        {
            return "/";
        }

        return path.Contains("/.", StringComparison.Ordinal) ? RemoveDotSegments(path) : path;
    }

    /// <summary>RFC 3986 §5.2.4.</summary>
    internal static string RemoveDotSegments(string path)
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

    /// <summary>Splits <c>host[:port]</c> or <c>[v6][:port]</c>; a missing or malformed port gives <paramref name="defaultPort"/> or -1.</summary>
    public static (string Host, int Port) SplitAuthority(string authority, int defaultPort)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return (authority, -1);
            }

            var host6 = authority[1..close];
            var rest = authority.AsSpan(close + 1);
            if (rest.IsEmpty)
            {
                return (host6, defaultPort);
            }

            return rest[0] == ':' && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var p6) && p6 <= 65535 ? (host6, p6) : (host6, -1);
        }

        var colon = authority.LastIndexOf(':');
        if (colon < 0)
        {
            return (authority, defaultPort);
        }

        return int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? (authority[..colon], port)
            : (authority[..colon], -1);
    }
}
