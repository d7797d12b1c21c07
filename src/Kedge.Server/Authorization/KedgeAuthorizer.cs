using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Server.Authorization;

/// <summary>
/// Evaluates a route's policy for a request. Every authentication scheme the policy names must succeed (a missing or
/// invalid credential is 401 / <c>Unauthenticated</c>); then the policy's requirements are checked by the
/// authorization service (a valid caller without the permission or identity is 403 / <c>PermissionDenied</c>).
/// </summary>
internal sealed class KedgeAuthorizer(IAuthorizationService authorization)
{
    public async ValueTask<AuthorizationOutcome> AuthorizeAsync(HttpContext context, AuthorizationPolicy? policy)
    {
        if (policy is null)
        {
            return AuthorizationOutcome.Allow;
        }

        var user = new ClaimsPrincipal();
        foreach (var scheme in policy.AuthenticationSchemes)
        {
            var result = await context.AuthenticateAsync(scheme);
            if (!result.Succeeded)
            {
                return AuthorizationOutcome.Unauthenticated(result.Failure is { } failure ? Describe(failure) : MissingMessage(scheme));
            }

            user.AddIdentities(result.Principal.Identities);
        }

        context.User = user;
        var decision = await authorization.AuthorizeAsync(user, context, policy);
        if (decision.Succeeded)
        {
            return AuthorizationOutcome.Allow;
        }

        var reasons = decision.Failure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
        return AuthorizationOutcome.Forbidden(reasons.Count > 0 ? string.Join("; ", reasons) : "the caller does not satisfy this route's rule");
    }

    private static string MissingMessage(string scheme) => scheme == KedgeAuthSchemes.ClientCertificate
        ? ClientCertificateHandler.MissingMessage
        : ProxyAuthorizationHeader.MissingMessage;

    /// <summary>What was wrong with the token, in words; IdentityModel's messages are kept as detail (they hide PII).</summary>
    internal static string Describe(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenNoExpirationException => "the token has no expiry ('exp')",
        SecurityTokenInvalidAudienceException => "the token is for another audience; it must be issued for kedge's OIDC client id",
        SecurityTokenInvalidIssuerException => "the token comes from another issuer",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key the issuer does not publish (unknown 'kid')",
        SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not allowed (RS*, PS* and ES* are)",
        SecurityTokenInvalidSignatureException => "the token's signature is invalid or missing",
        SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed JWT",
        _ when failure.Message.StartsWith("IDX141", StringComparison.Ordinal) => "the token is not a well-formed JWT",
        InvalidOperationException when failure.Message.StartsWith("IDX20803", StringComparison.Ordinal) => "the OIDC issuer cannot be reached to verify tokens; try again later",
        _ => failure.Message,
    };
}
