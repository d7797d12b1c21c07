using Kedge.Client.Tokens;

namespace Kedge.Client;

/// <summary>
/// Where a call for one target goes: the kedge that serves the target and the credentials to send with it.
/// </summary>
public sealed record KedgeRoute
{
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

    /// <summary>The kedge's address (scheme, host and port).</summary>
    public Uri KedgeUrl { get; }

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
    /// The name kedge's TLS certificate is verified against and sent as SNI. Defaults to the host of <see cref="KedgeUrl"/>.
    /// </summary>
    public string? TlsServerName { get; init; }

    /// <summary>Whether the connection to kedge uses TLS (the kedge URL's scheme is https).</summary>
    public bool UsesTls => KedgeUrl.Scheme == Uri.UriSchemeHttps;

    internal string EffectiveTlsServerName => TlsServerName ?? KedgeUrl.IdnHost.Trim('[', ']');

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
