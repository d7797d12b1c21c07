using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>
/// Builds the ASP.NET Core authorization policy of a route: its own <see cref="RouteAuthorizationOptions"/>, or the
/// default when it has none. <see langword="null"/> means the route is open to whoever passed the TLS layer.
/// </summary>
internal static class KedgePolicies
{
    /// <summary>
    /// The default for routes without their own rule: the <c>Kedge:Auth</c> token rule; without one, a verified client
    /// certificate when the TLS layer only makes them optional (so optional certificates never open a route that says
    /// nothing); otherwise nothing beyond the TLS layer.
    /// </summary>
    public static AuthorizationPolicy? Default(KedgeServerSettings settings)
    {
        if (TokenDefault(settings.Auth) is { } token)
        {
            return token;
        }

        return settings.TlsClientCaFiles.Count > 0 && !settings.TlsClientCertRequired
            ? new AuthorizationPolicyBuilder(KedgeAuthSchemes.ClientCertificate).RequireAuthenticatedUser().Build()
            : null;
    }

    /// <summary>The <c>Kedge:Auth</c> token rule (OIDC permissions or the static token), or <see langword="null"/>.</summary>
    public static AuthorizationPolicy? TokenDefault(KedgeAuthSettings auth)
    {
        if (auth.UsesStaticToken)
        {
            return new AuthorizationPolicyBuilder(KedgeAuthSchemes.StaticToken).RequireAuthenticatedUser().Build();
        }

        return auth.UsesOidc
            ? new AuthorizationPolicyBuilder(KedgeAuthSchemes.Oidc).AddRequirements(new PermissionRequirement(auth.OidcPermsClaim!, [.. auth.OidcWhitelistPerms])).Build()
            : null;
    }

    public static AuthorizationPolicy? For(RouteAuthorizationOptions? route, KedgeAuthSettings auth, AuthorizationPolicy? defaultPolicy)
    {
        if (route is null)
        {
            return defaultPolicy;
        }

        var builder = new AuthorizationPolicyBuilder();
        if (route.Permissions.Count > 0)
        {
            builder.AddAuthenticationSchemes(KedgeAuthSchemes.Oidc).AddRequirements(new PermissionRequirement(auth.OidcPermsClaim ?? string.Empty, [.. route.Permissions]));
        }

        if (route.ClientCertificate is { IsEmpty: false } rule)
        {
            builder.AddAuthenticationSchemes(KedgeAuthSchemes.ClientCertificate).AddRequirements(new ClientIdentityRequirement(rule));
        }

        // The validator refuses an Authorization with neither part, so the policy always has a requirement.
        return builder.Build();
    }
}
