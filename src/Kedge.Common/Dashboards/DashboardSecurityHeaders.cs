namespace Kedge.Common.Dashboards;

/// <summary>
/// The security headers of every response of kedge's and winch's read-only dashboards, defined once for both: the page
/// loads only its own same-origin script and style, polls only its own origin, cannot be framed, and is never cached
/// or sniffed. Each dashboard sets <see cref="All"/> on its responses.
/// </summary>
internal static class DashboardSecurityHeaders
{
    /// <summary>Same-origin script, style, fetch and images only; no inline code, no base, no forms, no framing.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Every header, name and value, in the order they are set.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> All =
    [
        new("Content-Security-Policy", ContentSecurityPolicy),
        new("X-Content-Type-Options", "nosniff"),
        new("Referrer-Policy", "no-referrer"),
        new("Cache-Control", "no-store"),
        new("X-Frame-Options", "DENY"),
    ];
}
