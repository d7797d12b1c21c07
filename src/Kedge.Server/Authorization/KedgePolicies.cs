using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>
/// Builds the ASP.NET Core authorization policy of a route: its own <see cref="RouteAuthorizationOptions"/>, or the
/// <c>Kedge:Auth</c> default when it has none. <see langword="null"/> means the route is open (only the TLS layer's
/// client-certificate check applies).
/// </summary>
internal static class KedgePolicies
{
    public static AuthorizationPolicy? Default(KedgeAuthSettings auth)
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
