namespace Kedge.Client.Tokens;

/// <summary>
/// A named source of bearer tokens, sent to kedge (<c>Proxy-Authorization</c>) or to the backend (<c>Authorization</c>).
/// </summary>
/// <remarks>
/// Implementations must be thread-safe and should cache: <see cref="GetTokenAsync"/> is called once per request that needs it.
/// A failing source fails only the requests that use it; the error names the source.
/// </remarks>
public abstract class KedgeTokenSource
{
    /// <summary>Creates a token source.</summary>
    /// <param name="name">The source's name, used in error messages and logs (never the token).</param>
    protected KedgeTokenSource(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The source's name.</summary>
    public string Name { get; }

    // The last token and its header value: sources that return the same string instance (static, file, cached
    // delegate) then cost no allocation per request.
    private volatile BearerValue? _lastBearer;

    /// <summary>The meter this source's refreshes count in: the client's that uses it, the static one before any does.</summary>
    internal Internal.KedgeClientMetrics? Metrics { get; set; }

    /// <summary>
    /// Counts a token fetch or re-read in the <c>kedge.client.token_refreshes</c> counter (meter
    /// <see cref="KedgeClientDiagnostics.MeterName"/>) with this source's <see cref="Name"/>. Sources that fetch tokens
    /// (from an issuer, a file, a plugin) call it once per fetch; not per request served from their cache.
    /// </summary>
    /// <param name="succeeded">Whether a usable token came back.</param>
    protected void ReportRefresh(bool succeeded) => (Metrics ?? Internal.KedgeClientMetrics.Static).TokenRefresh(Name, succeeded);

    /// <summary>Returns <c>Bearer &lt;token&gt;</c>, reusing the previous string when the token is the same instance.</summary>
    internal string GetBearerHeaderValue(string token)
    {
        var last = _lastBearer;
        if (last is not null && ReferenceEquals(last.Token, token))
        {
            return last.HeaderValue;
        }

        // Every source's tokens are checked here, custom ones included: a token with a line break would inject headers.
        var value = "Bearer " + CheckToken(token, Name);
        _lastBearer = new BearerValue(token, value);
        return value;
    }

    /// <summary>Returns the current token (without the <c>Bearer</c> prefix).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The token.</returns>
    public abstract ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public override string ToString() => $"token source '{Name}'";

    /// <summary>A source that always returns <paramref name="token"/>.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="token">The token; must be non-empty and a single line.</param>
    public static KedgeTokenSource FromValue(string name, string token)
        => new StaticTokenSource(name, token);

    /// <summary>
    /// A source that reads the token from a file, trimmed, and re-reads it when the file changes (for example a projected
    /// service-account token, which the kubelet rotates by swapping a symlink).
    /// </summary>
    /// <param name="name">The source's name.</param>
    /// <param name="path">The file's path.</param>
    /// <param name="refreshInterval">How often the file is checked for changes; default 5 seconds.</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    public static KedgeTokenSource FromFile(string name, string path, TimeSpan? refreshInterval = null, TimeProvider? timeProvider = null)
        => new FileTokenSource(name, path, refreshInterval ?? TimeSpan.FromSeconds(5), timeProvider ?? TimeProvider.System);

    /// <summary>A source backed by code, for tokens from an identity library or a secret store.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="getToken">Returns a token. Called once per request unless <paramref name="cacheDuration"/> is set.</param>
    /// <param name="cacheDuration">How long a returned token is reused; default none (the delegate caches itself).</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    public static KedgeTokenSource FromDelegate(string name, Func<CancellationToken, ValueTask<string>> getToken, TimeSpan? cacheDuration = null, TimeProvider? timeProvider = null)
        => new DelegateTokenSource(name, getToken, cacheDuration ?? TimeSpan.Zero, timeProvider ?? TimeProvider.System);

    private sealed record BearerValue(string Token, string HeaderValue);

    /// <summary>Checks that a token can be sent in a header.</summary>
    /// <exception cref="InvalidOperationException">The token is empty or spans lines.</exception>
    internal static string CheckToken(string? token, string sourceName)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidOperationException($"token source '{sourceName}' returned an empty token.");
        }

        if (token.AsSpan().IndexOfAny('\r', '\n') >= 0 || token.AsSpan().IndexOfAny(' ', '\t') >= 0)
        {
            throw new InvalidOperationException($"token source '{sourceName}' returned a token with white space or line breaks; a bearer token is one word.");
        }

        return token;
    }
}
