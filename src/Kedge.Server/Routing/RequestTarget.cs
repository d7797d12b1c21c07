using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Routing;

/// <summary>
/// What a request is for: host, port, path, and whether it came in absolute form (forward proxy). <see cref="Port"/> is
/// what routes match (a missing port counts as 80, or 443 for an absolute <c>https://</c> target); <see cref="NamedPort"/>
/// is the port the caller wrote, which adhoc rules check (none: the rule's default).
/// </summary>
internal readonly record struct RequestTarget(string Host, int Port, string Path, bool IsForwardProxy)
{
    /// <summary>The caller named no port: none, or an empty one (<c>name:</c>, which RFC 3986 allows and Go reads as none).</summary>
    public const int NoPort = -1;

    /// <summary>The port the caller wrote, or <see cref="NoPort"/>.</summary>
    public int NamedPort { get; init; } = NoPort;

    /// <summary>
    /// The authority the caller named, as the backend sees it: <c>host[:port]</c> as written (an empty port dropped). For
    /// absolute-form requests the request target's, else the Host header (<c>:authority</c>).
    /// </summary>
    public string Authority { get; init; } = Host;

    /// <summary>Why the target cannot be routed (a malformed authority), or <see langword="null"/>.</summary>
    public string? Error { get; init; }

    /// <summary>What makes the path ambiguous (see <see cref="RequestPath.Ambiguity"/>), or <see langword="null"/>.</summary>
    public string? PathAmbiguity { get; init; }

    /// <summary>For an ambiguous path: the path as the most lenient backend resolves it (see <see cref="RequestPath.Lenient"/>).</summary>
    public string? LenientPath { get; init; }

    /// <summary>For an ambiguous path: the path as the caller wrote it (no query), matched by path rules and named in the refusal; else <see cref="Path"/>.</summary>
    public string RawPath { get; init; } = Path;

    /// <summary>
    /// Reads the target as Go kedge does: absolute-form requests (<c>GET http://svc:8080/x</c>) take the authority from the
    /// request target; origin-form requests from the Host header. The port is read from the text the caller wrote (not
    /// from <see cref="Uri"/>, which drops a scheme's default port: <c>http://svc:80/</c> names port 80).
    /// </summary>
    public static RequestTarget From(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        if (!HttpMethods.IsConnect(context.Request.Method)
            && rawTarget.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(rawTarget, UriKind.Absolute, out var absolute))
        {
            var schemeEnd = rawTarget.IndexOf("://", StringComparison.Ordinal);
            var authorityStart = schemeEnd < 0 ? rawTarget.Length : schemeEnd + 3;
            var authorityEnd = rawTarget.AsSpan(authorityStart).IndexOfAny('/', '?', '#');
            var written = authorityEnd < 0 ? rawTarget[authorityStart..] : rawTarget.Substring(authorityStart, authorityEnd);
            written = written[(written.LastIndexOf('@') + 1)..]; // userinfo is not part of the host (Go's URL.Host)
            var pathStart = authorityEnd < 0 ? rawTarget.Length : authorityStart + authorityEnd;
            var defaultPort = absolute.Scheme == Uri.UriSchemeHttps ? 443 : 80;
            var target = Create(written, defaultPort, context, rawTarget.AsSpan(pathStart), isForwardProxy: true);

            // Kestrel has checked that the Host header names this target; the host written here must also be the one Uri
            // read (no percent-encoding or other spellings that would route on one name and show the backend another).
            return target.Error is null && !string.Equals(target.Host, absolute.IdnHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
                ? target with { Error = $"the request target's authority '{written}' must name the host plainly (as in the Host header)" }
                : target;
        }

        return Create(context.Request.Host.Value ?? string.Empty, defaultPort: 80, context, rawTarget, isForwardProxy: false);
    }

    private static RequestTarget Create(string authority, int defaultPort, HttpContext context, ReadOnlySpan<char> rawPathAndQuery, bool isForwardProxy)
    {
        var path = ForwardedPath(context);
        var query = rawPathAndQuery.IndexOfAny('?', '#');
        var rawPath = query < 0 ? rawPathAndQuery : rawPathAndQuery[..query];
        var ambiguity = RequestPath.Ambiguity(rawPath);
        var valid = TryParseAuthority(authority, out var host, out var namedPort);
        return new RequestTarget(host, namedPort == NoPort ? defaultPort : namedPort, path, isForwardProxy)
        {
            NamedPort = namedPort,
            Authority = !valid ? authority : namedPort == NoPort ? authority.TrimEnd(':') : authority,
            Error = valid ? null : InvalidAuthority(authority),
            PathAmbiguity = ambiguity,
            LenientPath = ambiguity is null ? null : RequestPath.Lenient(path),
            RawPath = ambiguity is null ? path : rawPath.ToString(),
        };
    }

    /// <summary>The message for an authority <see cref="TryParseAuthority"/> refused (the caller's error).</summary>
    public static string InvalidAuthority(string authority)
        => $"malformed authority '{(authority.Length > 200 ? authority[..200] + "..." : authority)}': the port must be a number from 1 to 65535 (or left out)";

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

        return path.Contains("/.", StringComparison.Ordinal) ? RequestPath.RemoveDotSegments(path) : path;
    }

    /// <summary>
    /// Splits <c>host[:port]</c> or <c>[v6][:port]</c> (brackets removed). A missing or empty port gives
    /// <see cref="NoPort"/>. Returns <see langword="false"/> for a port that is not a number from 1 to 65535 (out of range,
    /// signed, non-numeric, a second colon) or a bracket that is not closed or is followed by anything but a port.
    /// </summary>
    public static bool TryParseAuthority(string authority, out string host, out int port)
    {
        port = NoPort;
        ReadOnlySpan<char> portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                host = authority;
                return false;
            }

            host = authority[1..close];
            var rest = authority.AsSpan(close + 1);
            if (rest.IsEmpty)
            {
                return true;
            }

            if (rest[0] != ':')
            {
                return false;
            }

            portText = rest[1..];
        }
        else
        {
            var colon = authority.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                host = authority;
                return true;
            }

            host = authority[..colon];
            portText = authority.AsSpan(colon + 1);
        }

        if (portText.IsEmpty)
        {
            return true;
        }

        // Digits only (int.Parse would take a sign or spaces), at most 5 of them (no overflow).
        if (portText.Length > 5 || portText.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var value = int.Parse(portText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value is < 1 or > 65535)
        {
            return false;
        }

        port = value;
        return true;
    }

    /// <summary>Splits <c>host[:port]</c> or <c>[v6][:port]</c>; a missing port gives <paramref name="defaultPort"/>, a malformed one -1.</summary>
    public static (string Host, int Port) SplitAuthority(string authority, int defaultPort)
        => TryParseAuthority(authority, out var host, out var port) ? (host, port == NoPort ? defaultPort : port) : (host, -1);
}
