namespace Kedge.Server.Configuration;

/// <summary>Checks the start-up authorization settings (<c>Kedge:Auth</c>, Go's OIDC and bearer-token flags), listing every error.</summary>
internal static class KedgeAuthSettingsValidator
{
    public static void Validate(KedgeServerSettings settings, List<string> errors)
    {
        var auth = settings.Auth;
        if (auth.UsesStaticToken && (auth.UsesOidc || !string.IsNullOrEmpty(auth.OidcClientId) || !string.IsNullOrEmpty(auth.OidcPermsClaim) || auth.OidcWhitelistPerms.Count > 0))
        {
            errors.Add("Kedge:Auth: cannot enable both the static bearer token (unsafe_bearer_token_proxy_auth / UnsafeBearerToken) and OIDC (server_oidc_* / Oidc*); choose one.");
        }

        if (auth.UsesStaticToken && auth.UnsafeBearerToken!.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            errors.Add("Kedge:Auth:UnsafeBearerToken (unsafe_bearer_token_proxy_auth): must be one word without spaces, as callers send it in 'Proxy-Authorization: Bearer <token>'.");
        }

        if (auth.UsesOidc)
        {
            if (!Uri.TryCreate(auth.OidcProviderUrl, UriKind.Absolute, out var issuer) || issuer.Scheme != Uri.UriSchemeHttps)
            {
                errors.Add($"Kedge:Auth:OidcProviderUrl (server_oidc_provider_url): '{auth.OidcProviderUrl}' must be an https:// issuer URL, for example 'https://accounts.example.com'.");
            }

            if (string.IsNullOrEmpty(auth.OidcClientId))
            {
                errors.Add("Kedge:Auth:OidcClientId (server_oidc_client_id): is required with an OIDC provider; give the client id tokens are issued for (their audience).");
            }

            if (string.IsNullOrEmpty(auth.OidcPermsClaim))
            {
                errors.Add("Kedge:Auth:OidcPermsClaim (server_oidc_perms_claim): is required with an OIDC provider; name the claim that holds the caller's permissions, for example 'perms'.");
            }

            if (auth.OidcWhitelistPerms.Count == 0 || auth.OidcWhitelistPerms.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add("Kedge:Auth:OidcWhitelistPerms (server_oidc_whitelist_perms): is required with an OIDC provider; list the permissions any one of which lets a caller through.");
            }

            if (auth.OidcCaFile is not null && !File.Exists(auth.OidcCaFile))
            {
                errors.Add($"Kedge:Auth:OidcCaFile: the file '{auth.OidcCaFile}' does not exist.");
            }

            if (auth.OidcJwksRefreshRateLimit < TimeSpan.FromSeconds(1))
            {
                errors.Add("Kedge:Auth:OidcJwksRefreshRateLimit: must be at least 1 second.");
            }

            if (auth.OidcClockSkew < TimeSpan.Zero || auth.OidcClockSkew > TimeSpan.FromMinutes(5))
            {
                errors.Add("Kedge:Auth:OidcClockSkew: must be from 0 to 5 minutes.");
            }
        }
        else if (!string.IsNullOrEmpty(auth.OidcClientId) || !string.IsNullOrEmpty(auth.OidcPermsClaim) || auth.OidcWhitelistPerms.Count > 0 || auth.OidcCaFile is not null)
        {
            errors.Add("Kedge:Auth:OidcProviderUrl (server_oidc_provider_url): OIDC settings are given but no provider; set the issuer URL or remove the other Oidc* settings.");
        }

        if (auth.ProtectDebugEndpoints && !auth.UsesOidc && !auth.UsesStaticToken)
        {
            errors.Add("Kedge:Auth:ProtectDebugEndpoints (server_enable_oidc_for_debug_endpoints): needs OIDC or the static bearer token to protect them with.");
        }
    }
}
