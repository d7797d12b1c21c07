namespace Kedge.Winch.Auth;

/// <summary>
/// A token source that fetches and caches tokens (OIDC, kubeconfig OIDC, service account, exec plugin) and can say what
/// it holds without fetching: winch's dashboard reads this, never the token.
/// </summary>
internal interface ITrackedTokenSource
{
    /// <summary>Whether a token is cached now (it may have expired).</summary>
    bool HasCachedToken { get; }

    /// <summary>The cached token's expiry; null when none is cached or it carries no expiry.</summary>
    DateTimeOffset? CachedTokenExpiry { get; }

    /// <summary>The last refresh and the last error.</summary>
    TokenRefreshState RefreshState { get; }
}
