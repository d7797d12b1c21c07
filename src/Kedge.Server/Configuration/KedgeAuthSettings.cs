namespace Kedge.Server.Configuration;

/// <summary>
/// Who may use kedge by default (natively <c>Kedge:Auth</c>; Go kedge's <c>server_oidc_*</c> and
/// <c>unsafe_bearer_token_proxy_auth</c> flags). The default applies to every route and adhoc rule that has no
/// <c>Authorization</c> of its own. Read once at start.
/// </summary>
public sealed class KedgeAuthSettings
{
    /// <summary>The OIDC issuer (<c>https://…</c>); its discovery document and JWKS are fetched from it. Unset: no OIDC.</summary>
    public string? OidcProviderUrl { get; set; }

    /// <summary>The audience ID tokens must carry (the OIDC client id). Required with <see cref="OidcProviderUrl"/>.</summary>
    public string? OidcClientId { get; set; }

    /// <summary>The claim holding the caller's permissions: a JSON array of strings or a space-separated string.</summary>
    public string? OidcPermsClaim { get; set; }

    /// <summary>The default rule: a caller holding any one of these permissions may pass.</summary>
    public List<string> OidcWhitelistPerms { get; set; } = [];

    /// <summary>A PEM CA file to trust for the issuer's TLS certificate (a private issuer); unset: the system roots.</summary>
    public string? OidcCaFile { get; set; }

    /// <summary>Clock skew allowed when checking a token's lifetime. Default 30 s.</summary>
    public TimeSpan OidcClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The least time between two JWKS refreshes caused by tokens with an unknown key id. Default 1 min.</summary>
    public TimeSpan OidcJwksRefreshRateLimit { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Also require the default rule on the admin port's debug endpoints (health, readiness and metrics stay open).</summary>
    public bool ProtectDebugEndpoints { get; set; }

    /// <summary>A static token callers send as <c>Proxy-Authorization: Bearer …</c>. Unsafe (shared, never expires); excludes OIDC.</summary>
    public string? UnsafeBearerToken { get; set; }

    /// <summary>Whether OIDC is configured.</summary>
    internal bool UsesOidc => !string.IsNullOrEmpty(OidcProviderUrl);

    /// <summary>Whether the static token is configured.</summary>
    internal bool UsesStaticToken => !string.IsNullOrEmpty(UnsafeBearerToken);
}
