using Kedge.Client.Tokens;

namespace Kedge.Client;

/// <summary>
/// Where a call for one target goes: the kedge that serves the target and the credentials to send with it.
/// </summary>
public sealed record KedgeRoute
{
    private Uri[] _fallbackKedgeUrls = [];

    /// <summary>Creates a route to the kedge at <paramref name="kedgeUrl"/>.</summary>
    /// <param name="kedgeUrl">
    /// The kedge's address, <c>https://host[:port]</c> (TLS, the normal case) or <c>http://host[:port]</c>.
    /// Only the scheme, host and port are used; the caller's path and query are kept.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The URL is not an absolute http or https URL, or has a path, query or user info (<c>user:password@</c>).
    /// </exception>
    public KedgeRoute(Uri kedgeUrl)
    {
        ArgumentNullException.ThrowIfNull(kedgeUrl);
        KedgeUrl = Validate(kedgeUrl);
    }

    /// <summary>The kedge's address (scheme, host and port); with <see cref="FallbackKedgeUrls"/>, the first choice.</summary>
    public Uri KedgeUrl { get; }

    /// <summary>
    /// Further kedges that serve the same targets, in priority order, tried when <see cref="KedgeUrl"/> (and the ones
    /// before them) fail; empty (the default) for a route to one kedge. Each is validated as <see cref="KedgeUrl"/> and
    /// must use its scheme. Failover rules: calls move on when nothing reached a kedge (connect or TLS failure), and
    /// idempotent calls also when the kedge answers that it has no healthy endpoint for the target or the connection
    /// broke; a failing kedge is ejected with exponential backoff and traffic returns to the first healthy one (see the
    /// package README, "Failover").
    /// </summary>
    /// <exception cref="ArgumentException">A URL is invalid, repeats another of the route, or has another scheme than <see cref="KedgeUrl"/>.</exception>
    public IReadOnlyList<Uri> FallbackKedgeUrls
    {
        get => _fallbackKedgeUrls;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            var checkedUrls = new Uri[value.Count];
            for (var i = 0; i < value.Count; i++)
            {
                var url = Validate(value[i] ?? throw new ArgumentException($"FallbackKedgeUrls[{i}] is null; give a kedge URL.", nameof(FallbackKedgeUrls)));
                if (url.Scheme != KedgeUrl.Scheme)
                {
                    throw new ArgumentException(
                        $"The fallback kedge URL '{url}' uses {url.Scheme} but the route's kedge URL '{KedgeUrl}' uses {KedgeUrl.Scheme}; all kedges of one route use the same scheme.",
                        nameof(FallbackKedgeUrls));
                }

                if (SameKedge(url, KedgeUrl) || checkedUrls.Take(i).Any(u => SameKedge(u, url)))
                {
                    throw new ArgumentException($"The kedge URL '{url}' appears twice in the route; list each kedge once.", nameof(FallbackKedgeUrls));
                }

                checkedUrls[i] = url;
            }

            _fallbackKedgeUrls = checkedUrls;
        }
    }

    /// <summary>Every kedge of the route in priority order: <see cref="KedgeUrl"/>, then <see cref="FallbackKedgeUrls"/>.</summary>
    public IReadOnlyList<Uri> KedgeUrls => _fallbackKedgeUrls.Length == 0 ? [KedgeUrl] : [KedgeUrl, .. _fallbackKedgeUrls];

    /// <summary>
    /// The token sent to kedge as <c>Proxy-Authorization: Bearer &lt;token&gt;</c>, or <see langword="null"/> (the default) for none.
    /// Kedge removes it before forwarding, so it never reaches the backend.
    /// </summary>
    public KedgeTokenSource? ProxyAuth { get; init; }

    /// <summary>
    /// The token sent to the backend as <c>Authorization: Bearer &lt;token&gt;</c>, overwriting any value the caller set,
    /// or <see langword="null"/> (the default) to leave <c>Authorization</c> as the caller set it.
    /// </summary>
    public KedgeTokenSource? BackendAuth { get; init; }

    /// <summary>
    /// The name kedge's TLS certificate is verified against and sent as SNI, for every kedge of the route. Defaults to
    /// the host of each kedge's URL.
    /// </summary>
    public string? TlsServerName { get; init; }

    /// <summary>Whether the connection to kedge uses TLS (the kedge URL's scheme is https).</summary>
    public bool UsesTls => KedgeUrl.Scheme == Uri.UriSchemeHttps;

    /// <summary>Whether the route names more than one kedge.</summary>
    internal bool HasFallbacks => _fallbackKedgeUrls.Length != 0;

    internal string EffectiveTlsServerName => EffectiveTlsServerNameFor(KedgeUrl);

    /// <summary>The name <paramref name="kedgeUrl"/> (one of <see cref="KedgeUrls"/>) is verified against.</summary>
    internal string EffectiveTlsServerNameFor(Uri kedgeUrl) => TlsServerName ?? kedgeUrl.IdnHost.Trim('[', ']');

    private static bool SameKedge(Uri a, Uri b)
        => a.Port == b.Port && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    internal static Uri Validate(Uri kedgeUrl)
    {
        // User info was never sent to kedge (requests go to scheme://host:port); kept, it would only leak into logs and
        // traces. The message leaves it out for the same reason.
        if (kedgeUrl.IsAbsoluteUri && kedgeUrl.UserInfo.Length != 0)
        {
            throw new ArgumentException(UserInfoMessage($"{kedgeUrl.Scheme}://{kedgeUrl.Authority}"), nameof(kedgeUrl));
        }

        if (!kedgeUrl.IsAbsoluteUri || (kedgeUrl.Scheme != Uri.UriSchemeHttps && kedgeUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException(
                $"The kedge URL '{kedgeUrl}' must be an absolute http or https URL, for example 'https://kedge.cluster-b.example.com'.",
                nameof(kedgeUrl));
        }

        if (kedgeUrl.AbsolutePath != "/" || kedgeUrl.Query.Length != 0)
        {
            throw new ArgumentException(
                $"The kedge URL '{kedgeUrl}' must not have a path or query: the caller's path is kept. Use 'https://{kedgeUrl.Authority}'.",
                nameof(kedgeUrl));
        }

        return kedgeUrl;
    }

    internal static string UserInfoMessage(string shownUrl)
        => $"The kedge URL '{shownUrl}' must not carry user info ('user:password@'): it is never sent to kedge. "
            + "Remove it, and send credentials to kedge with ProxyAuth (a token source).";
}
